import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { createHash, randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../../database/unique-violation';
import { UnitOfWork } from '../../messaging';
import { CartService, StockService } from '../cart';
import { paymentRequested } from '../payment/payment.contracts';
import { OrderView } from './dto/order.view';
import { PlaceOrderRequest } from './dto/place-order.request';
import { OrderQueries } from './order-queries.service';
import { OrderTimeline } from './order-timeline';
import { Order, OrderLine } from './order.entities';
import { IdempotencyKeyReusedError } from './order.errors';

export interface PlacedOrder {
  order: OrderView;
  /** True when the key was seen before and the earlier order is returned. */
  replayed: boolean;
}

/**
 * Places an order from the shopper's cart. The order, its lines, its stock reservation, its
 * first timeline entry and its payment request commit together or not at all; the payment
 * request is then delivered (in sync mode, run to its end before this returns).
 */
@Injectable()
export class PlaceOrderService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly cart: CartService,
    private readonly stock: StockService,
    private readonly timeline: OrderTimeline,
    private readonly queries: OrderQueries,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(PlaceOrderService.name);
  }

  async place(
    userId: string,
    idempotencyKey: string,
    request: PlaceOrderRequest,
  ): Promise<PlacedOrder> {
    const requestHash = hashOf(request);
    const earlier = await this.queries.findByKey(userId, idempotencyKey);
    if (earlier) return this.replay(earlier, requestHash);

    const orderId = randomUUID();
    try {
      await this.unitOfWork.run(async ({ manager, publish }) => {
        const lines = await this.cart.checkoutLines(manager, userId);
        const amountCents = lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0);
        const currency = lines[0].currency;
        await manager.insert(Order, {
          id: orderId,
          userId,
          status: 'PENDING_PAYMENT',
          mode: 'sync',
          amountCents,
          currency,
          paymentToken: request.paymentToken,
          idempotencyKey,
          requestHash,
        });
        await manager.insert(
          OrderLine,
          lines.map(({ sku, name, unitPriceCents, quantity }) => ({
            orderId,
            sku,
            name,
            unitPriceCents,
            quantity,
          })),
        );
        await this.stock.reserve(manager, orderId, userId, lines);
        await this.timeline.append(manager, orderId, 'PLACED', {
          amountCents,
          currency,
          mode: 'sync',
        });
        publish(paymentRequested, {
          orderId,
          userId,
          amountCents,
          currency,
          lines: lines.map(({ sku, unitPriceCents, quantity }) => ({
            sku,
            unitPriceCents,
            quantity,
          })),
          paymentToken: request.paymentToken,
          attempt: 1,
          replyTo: null,
          requestedAt: new Date().toISOString(),
        });
        this.logger.info({ orderId, amountCents, lines: lines.length }, 'order placed');
      });
    } catch (error) {
      if (!isUniqueViolation(error, 'orders_user_idempotency_key')) throw error;
      const winner = await this.queries.findByKey(userId, idempotencyKey);
      if (!winner) throw error;
      return this.replay(winner, requestHash);
    }
    return { order: await this.queries.view(userId, orderId), replayed: false };
  }

  private async replay(order: Order, requestHash: string): Promise<PlacedOrder> {
    if (order.requestHash !== requestHash) {
      throw new IdempotencyKeyReusedError(order.idempotencyKey, order.id);
    }
    return { order: await this.queries.view(order.userId, order.id), replayed: true };
  }
}

/** Same body, same hash: keys are sorted so field order does not matter. */
function hashOf(request: PlaceOrderRequest): string {
  const canonical = JSON.stringify(request, Object.keys(request).sort());
  return createHash('sha256').update(canonical).digest('hex');
}
