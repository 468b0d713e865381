import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { isUniqueViolation } from '../../database/unique-violation';
import { DeliveryFailedError, UnitOfWork } from '../../messaging';
import { CheckoutLoadMeter } from '../../ops/mode/checkout-load';
import { CheckoutModeService } from '../../ops/mode/checkout-mode.service';
import { CartService, StockService } from '../cart';
import { OrderView } from './dto/order.view';
import { PlaceOrderRequest } from './dto/place-order.request';
import { OrderQueries } from './order-queries.service';
import { OrderTimeline } from './order-timeline';
import { Order, OrderLine } from './order.entities';
import { IdempotencyKeyReusedError } from './order.errors';
import { PaymentRequests } from './payment-request';
import { watchFromNow } from './payment-watch';
import { requestHashOf } from './request-hash';

export interface PlacedOrder {
  order: OrderView;
  /** True when the key was seen before and the earlier order is returned. */
  replayed: boolean;
}

/**
 * Places an order from the shopper's cart in the mode in force. The order, its lines, its
 * stock reservation, its first timeline entry and (in async mode) its payment request in the
 * outbox commit together or not at all. Sync mode then runs the payment to its end before
 * answering; async mode answers at once and a worker takes the payment off Kafka.
 */
@Injectable()
export class PlaceOrderService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly cart: CartService,
    private readonly stock: StockService,
    private readonly timeline: OrderTimeline,
    private readonly queries: OrderQueries,
    private readonly modes: CheckoutModeService,
    private readonly load: CheckoutLoadMeter,
    private readonly paymentRequests: PaymentRequests,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(PlaceOrderService.name);
  }

  async place(
    userId: string,
    idempotencyKey: string,
    request: PlaceOrderRequest,
  ): Promise<PlacedOrder> {
    const requestHash = requestHashOf(request);
    const earlier = await this.queries.findByKey(userId, idempotencyKey);
    if (earlier) return this.replay(earlier, requestHash);

    const orderId = randomUUID();
    const mode = this.modes.mode();
    const placing = () =>
      this.unitOfWork.run(async ({ manager, publish }) => {
        const lines = await this.cart.checkoutLines(manager, userId);
        const order = {
          id: orderId,
          userId,
          status: 'PENDING_PAYMENT' as const,
          mode,
          amountCents: lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0),
          currency: lines[0].currency,
          paymentToken: request.paymentToken,
          idempotencyKey,
          requestHash,
          paymentAttempt: 1,
        };
        await manager.insert(Order, {
          ...order,
          watchUntil: watchFromNow(this.config.watchdog.lossWindowMs),
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
          amountCents: order.amountCents,
          currency: order.currency,
          mode,
        });
        this.paymentRequests.publish({ publish }, order, lines, mode);
        this.logger.info(
          { orderId, amountCents: order.amountCents, lines: lines.length, mode },
          'order placed',
        );
      });
    try {
      await (mode === 'sync' ? this.load.duringSyncCheckout(placing) : placing());
    } catch (error) {
      if (error instanceof DeliveryFailedError) {
        this.logger.error(
          { orderId, error: String(error.cause) },
          'order placed but its payment did not complete',
        );
      } else if (isUniqueViolation(error, 'orders_user_idempotency_key')) {
        const winner = await this.queries.findByKey(userId, idempotencyKey);
        if (!winner) throw error;
        return this.replay(winner, requestHash);
      } else {
        throw error;
      }
    }
    return { order: await this.queries.view(userId, orderId), replayed: false };
  }

  /**
   * The earlier order under this key. A sync order still waiting for its payment (its first
   * request failed, or is still running) has its payment asked for again and waited for; every
   * step of a payment is idempotent, so this cannot charge twice.
   */
  private async replay(order: Order, requestHash: string): Promise<PlacedOrder> {
    if (order.requestHash !== requestHash) {
      throw new IdempotencyKeyReusedError(order.idempotencyKey, order.id);
    }
    if (order.mode === 'sync' && order.status === 'PENDING_PAYMENT') {
      try {
        await this.unitOfWork.run(async ({ manager, publish }) => {
          const lines = await manager.findBy(OrderLine, { orderId: order.id });
          this.paymentRequests.publish({ publish }, order, lines, 'sync');
        });
      } catch (error) {
        if (!(error instanceof DeliveryFailedError)) throw error;
        this.logger.error(
          { orderId: order.id, error: String(error.cause) },
          'payment asked again did not complete',
        );
      }
    }
    return { order: await this.queries.view(order.userId, order.id), replayed: true };
  }
}
