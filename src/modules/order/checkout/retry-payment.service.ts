import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { isUniqueViolation } from '../../../database/unique-violation';
import { CartService, StockService } from '../../cart';
import { RetryPaymentRequest } from '../dto/retry-payment.request';
import { OrderQueries } from '../order-queries';
import { transition } from '../order-state';
import { OrderTimeline } from '../order-timeline';
import { Order } from '../order.entity';
import { OrderLine } from '../order-line.entity';
import { PaymentRetry } from '../payment-retry.entity';
import {
  IdempotencyKeyReusedError,
  OrderNotFoundError,
  PaymentNotRetryableError,
} from '../order.errors';
import { watchFromNow, watchWindowMs } from '../payment-watch/payment-watch';
import { PaymentAcceptance } from './payment-acceptance';
import { PlacedOrder } from './place-order.service';
import { requestHashOf } from './request-hash';

/**
 * A shopper's retry of a failed payment: a new attempt of the same order, in the mode in
 * force. The order's units go back on hold (or the retry fails, nothing changed, if they sold
 * out meanwhile), the order waits for payment again, and the request is published, all in one
 * transaction. The Idempotency-Key makes a repeated retry return the same attempt.
 */
@Injectable()
export class RetryPaymentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly acceptance: PaymentAcceptance,
    private readonly cart: CartService,
    private readonly stock: StockService,
    private readonly timeline: OrderTimeline,
    private readonly queries: OrderQueries,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(RetryPaymentService.name);
  }

  async retry(
    userId: string,
    orderId: string,
    idempotencyKey: string,
    request: RetryPaymentRequest,
  ): Promise<PlacedOrder> {
    const requestHash = requestHashOf(request);
    const earlier = await this.dataSource.manager.findOneBy(PaymentRetry, {
      orderId,
      idempotencyKey,
    });
    if (earlier) return this.replay(userId, earlier, requestHash);

    try {
      // Alone: reserveAgain takes the units off the shelf before the commit (see accept).
      await this.acceptance.accept(
        { id: orderId, userId },
        async ({ manager, mode, requestPayment }) => {
          const order = await manager.findOne(Order, {
            where: { id: orderId, userId },
            lock: { mode: 'pessimistic_write' },
          });
          if (!order) throw new OrderNotFoundError(orderId);
          const step = transition(order.status, 'paymentRetried');
          if (step.kind !== 'moved') throw new PaymentNotRetryableError(orderId, order.status);
          const attempt = order.paymentAttempt + 1;
          await manager.insert(PaymentRetry, { orderId, idempotencyKey, attempt, requestHash });
          await this.cart.holdFor(manager, userId, orderId);
          await this.stock.reserveAgain(manager, orderId);
          await manager.update(
            Order,
            { id: orderId },
            {
              status: step.to,
              mode,
              paymentAttempt: attempt,
              paymentToken: request.paymentToken,
              paymentId: null,
              failureReason: null,
              redrives: 0,
              needsAttentionAt: null,
              watchUntil: watchFromNow(watchWindowMs(this.config.watchdog, mode)),
            },
          );
          await this.timeline.append(manager, orderId, step.to, { attempt, mode });
          const lines = await manager.findBy(OrderLine, { orderId });
          requestPayment(
            { ...order, paymentAttempt: attempt, paymentToken: request.paymentToken },
            lines,
          );
          this.logger.info({ orderId, attempt, mode }, 'payment retried');
        },
        { alone: true },
      );
    } catch (error) {
      if (
        !(error instanceof PaymentNotRetryableError) &&
        !isUniqueViolation(error, 'payment_retries_pkey')
      ) {
        throw error;
      }
      // Two retries under one key at once: the one that waited for the order's lock finds it
      // already retried, and answers as a replay of the winner.
      const winner = await this.dataSource.manager.findOneBy(PaymentRetry, {
        orderId,
        idempotencyKey,
      });
      if (winner) return this.replay(userId, winner, requestHash);
      throw error;
    }
    return { order: await this.queries.view(userId, orderId), replayed: false };
  }

  private async replay(
    userId: string,
    earlier: PaymentRetry,
    requestHash: string,
  ): Promise<PlacedOrder> {
    // Another shopper's order under this key is not theirs to know about: 404, as for reading it.
    const order = await this.queries.view(userId, earlier.orderId);
    if (earlier.requestHash !== requestHash) {
      throw new IdempotencyKeyReusedError(earlier.idempotencyKey, earlier.orderId);
    }
    return { order, replayed: true };
  }
}
