import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { CartService, CheckoutLine, HeldCartRow, holdCartSql, StockService } from '../../cart';
import { OrderView } from '../dto/order.view';
import { PlaceOrderRequest } from '../dto/place-order.request';
import { OrderQueries } from '../order-queries';
import { orderViewOf } from '../order-view-of';
import { Order } from '../order.entity';
import { OrderLine } from '../order-line.entity';
import { IdempotencyKeyReusedError } from '../order.errors';
import { watchUntilSql, watchWindowMs } from '../payment-watch/payment-watch';
import { Acceptance, PaymentAcceptance } from './payment-acceptance';
import { requestHashOf } from './request-hash';

type NewOrder = Pick<
  Order,
  | 'id'
  | 'userId'
  | 'status'
  | 'mode'
  | 'amountCents'
  | 'currency'
  | 'paymentToken'
  | 'idempotencyKey'
  | 'requestHash'
  | 'paymentAttempt'
>;

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
    private readonly acceptance: PaymentAcceptance,
    private readonly cart: CartService,
    private readonly stock: StockService,
    private readonly queries: OrderQueries,
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
    const orderId = randomUUID();
    let placed: Acceptance<OrderView> | null = null;
    try {
      placed = await this.acceptance.accept(
        { id: orderId, userId },
        async ({ manager, withCommit, mode, requestPayment }) => {
          const { order, lines } = await this.placeFromCart(manager, {
            id: orderId,
            userId,
            status: 'PENDING_PAYMENT',
            mode,
            paymentToken: request.paymentToken,
            idempotencyKey,
            requestHash,
            paymentAttempt: 1,
          });
          requestPayment(order, lines);
          // In a flash sale every order takes the same product row, locked until the commit.
          withCommit(this.stock.reservation(orderId, userId, lines));
          return orderViewOf({ ...order, failureReason: null }, lines, null);
        },
      );
    } catch (error) {
      // A repeated key fails here (its unique constraint, or the cart its first order
      // emptied), and only then is the key looked up: the first request, all but every
      // request at peak, is spared the read.
      const earlier = await this.queries.findByKey(userId, idempotencyKey).catch(() => null);
      if (!earlier) throw error;
      // Not a repeat but this very order: its commit went through though its answer was lost.
      if (earlier.id !== orderId) return this.replay(earlier, requestHash);
    }
    if (placed?.accepted) {
      const { amountCents, lines } = placed.accepted;
      const mode = placed.mode;
      this.logger.info({ orderId, amountCents, lines: lines.length, mode }, 'order placed');
      // An async order is answered as written, sparing the database a read per order at peak;
      // a sync order is read again, as its payment has run since.
      if (mode === 'async') return { order: placed.accepted, replayed: false };
    }
    return { order: await this.queries.view(userId, orderId), replayed: false };
  }

  /**
   * Holds the shopper's cart for the order and, when it can be checked out, writes the order,
   * its lines and its first timeline entry from it, all in one statement: at the peak every round
   * trip to the database counts, and each round of a shared transaction waits for its slowest
   * unit. A cart that cannot be checked out (empty, mixed currencies, held by another order)
   * writes nothing, and its refusal is the cart's.
   */
  private async placeFromCart(
    manager: EntityManager,
    order: Omit<NewOrder, 'amountCents' | 'currency'>,
  ): Promise<{ order: NewOrder & Pick<Order, 'createdAt' | 'updatedAt'>; lines: CheckoutLine[] }> {
    const rows = await manager.query<
      (HeldCartRow & {
        created_at: Date | null;
        updated_at: Date | null;
        amount_cents: number | null;
      })[]
    >(
      `WITH held AS (${holdCartSql('$2', '$1')}),
       total AS (
         SELECT sum(price_cents::bigint * quantity) AS amount_cents, min(currency) AS currency
           FROM held
         HAVING count(*) > 0 AND count(DISTINCT currency) = 1 AND bool_and(held_by = $1)),
       placed AS (
         INSERT INTO orders (id, user_id, status, mode, amount_cents, currency, payment_token,
                             idempotency_key, request_hash, payment_attempt, watch_until)
         SELECT $1, $2, $3, $4, amount_cents, currency, $5, $6, $7, $8, ${watchUntilSql('$9')}
           FROM total
         RETURNING created_at, updated_at, amount_cents, currency),
       lines AS (
         INSERT INTO order_lines (order_id, sku, name, unit_price_cents, quantity)
         SELECT $1, sku, name, price_cents, quantity FROM held WHERE EXISTS (SELECT 1 FROM placed)),
       timeline AS (
         INSERT INTO order_timeline (order_id, type, detail)
         SELECT $1, 'PLACED',
                jsonb_build_object('amountCents', amount_cents, 'currency', currency, 'mode', $4::text)
           FROM placed)
       SELECT held.*, placed.created_at, placed.updated_at, placed.amount_cents
         FROM held LEFT JOIN placed ON true`,
      [
        order.id,
        order.userId,
        order.status,
        order.mode,
        order.paymentToken,
        order.idempotencyKey,
        order.requestHash,
        order.paymentAttempt,
        watchWindowMs(this.config.watchdog, order.mode) / 1000,
      ],
    );
    const lines = this.cart.linesHeldFor(order.id, rows);
    const [{ created_at: createdAt, updated_at: updatedAt, amount_cents: amountCents }] = rows;
    // The cart passed every check the statement made before writing the order.
    if (!createdAt || !updatedAt || amountCents === null) {
      throw new Error(`order ${order.id} was not written`);
    }
    return {
      order: { ...order, amountCents, currency: lines[0].currency, createdAt, updatedAt },
      lines,
    };
  }

  /**
   * The earlier order under this key. A sync order still waiting for its payment (its first
   * request failed, or is still running) has its payment asked for again and waited for, through
   * the sync checkout gate like any; every step of a payment is idempotent, so this cannot
   * charge twice.
   */
  private async replay(order: Order, requestHash: string): Promise<PlacedOrder> {
    if (order.requestHash !== requestHash) {
      throw new IdempotencyKeyReusedError(order.idempotencyKey, order.id);
    }
    if (order.mode === 'sync' && order.status === 'PENDING_PAYMENT') {
      await this.acceptance.accept(
        order,
        async ({ manager, requestPayment }) => {
          requestPayment(order, await manager.findBy(OrderLine, { orderId: order.id }));
        },
        { mode: 'sync' },
      );
    }
    return { order: await this.queries.view(order.userId, order.id), replayed: true };
  }
}
