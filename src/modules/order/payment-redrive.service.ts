import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { returningRows } from '../../database/returning-rows';
import { DeliveryFailedError, UnitOfWork } from '../../messaging';
import { Metrics } from '../../ops/metrics/metric-names';
import { paymentRequested } from '../payment/payment.contracts';
import { Order, OrderLine } from './order.entities';
import { OrderNotFoundError, OrderNotWaitingError } from './order.errors';
import { paymentRequestOf } from './payment-request';
import { ReplyAddress } from './reply-address';

interface WaitingOrderRow {
  id: string;
  user_id: string;
  mode: Order['mode'];
  amount_cents: number;
  currency: string;
  payment_token: string;
  payment_attempt: number;
  redrives: number;
}

export interface Overdue {
  redriven: string[];
  /** Orders that used up REDRIVE_LIMIT and are now flagged for a human. */
  flagged: string[];
}

const BATCH = 50;

/**
 * Asks again for the payment of an order that waited too long for it: the message may have
 * been lost on its way. Safe because every step of a payment is idempotent (the payment
 * service finds a recorded payment, the gateway its idempotency key, consumers their inbox).
 * Each order is claimed with a new deadline in the same transaction that stages its request,
 * so two instances never re-drive the same order at once.
 */
@Injectable()
export class PaymentRedrive {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly replyAddress: ReplyAddress,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.ordersOverdue) private readonly overdue: Counter<'action'>,
  ) {
    this.logger.setContext(PaymentRedrive.name);
  }

  /** Re-drives the overdue orders within the limit and flags those past it. */
  async sweep(): Promise<Overdue> {
    const { redriveLimit } = this.config.watchdog;
    const redriven = await this.redrive(
      `status = 'PENDING_PAYMENT' AND needs_attention_at IS NULL
       AND watch_until < now() AND redrives < $1`,
      [redriveLimit],
      'watchdog',
    );
    const flagged = await this.unitOfWork.run(({ manager }) =>
      returningRows<{ id: string; redrives: number }>(
        manager,
        `UPDATE orders SET needs_attention_at = now()
          WHERE id IN (SELECT id FROM orders
                        WHERE status = 'PENDING_PAYMENT' AND needs_attention_at IS NULL
                          AND watch_until < now() AND redrives >= $2
                        LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id, redrives`,
        [BATCH, redriveLimit],
      ),
    );
    for (const { id, redrives } of flagged) {
      this.logger.error(
        { orderId: id, redrives },
        'order still has no payment result after every re-drive: needs a human',
      );
    }
    if (flagged.length > 0) this.overdue.inc({ action: 'flagged' }, flagged.length);
    return { redriven, flagged: flagged.map((row) => row.id) };
  }

  /** Re-drives one waiting order now, whatever its deadline; an admin's call. */
  async redriveOne(orderId: string, by: string): Promise<void> {
    const redriven = await this.redrive(`id = $1 AND status = 'PENDING_PAYMENT'`, [orderId], by);
    if (redriven.length > 0) return;
    const status = await this.unitOfWork.run(async ({ manager }) =>
      manager.findOne(Order, { where: { id: orderId }, select: { status: true } }),
    );
    if (!status) throw new OrderNotFoundError(orderId);
    throw new OrderNotWaitingError(orderId, status.status);
  }

  private async redrive(where: string, params: unknown[], by: string): Promise<string[]> {
    const windowSeconds = this.config.watchdog.lossWindowMs / 1000;
    const claimed: WaitingOrderRow[] = [];
    try {
      await this.unitOfWork.run(async ({ manager, publish }) => {
        const rows = await returningRows<WaitingOrderRow>(
          manager,
          `UPDATE orders
              SET redrives = redrives + 1, needs_attention_at = NULL,
                  watch_until = now() + make_interval(secs => ${windowSeconds})
            WHERE id IN (SELECT id FROM orders WHERE ${where}
                          ORDER BY watch_until LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
            RETURNING id, user_id, mode, amount_cents, currency, payment_token,
                      payment_attempt, redrives`,
          params,
        );
        for (const row of rows) {
          const lines = await manager.findBy(OrderLine, { orderId: row.id });
          const request = paymentRequestOf(orderOf(row), lines, this.replyAddress.for(row.mode));
          publish(paymentRequested, request, {
            delivery: row.mode === 'async' ? 'kafka' : 'in-process',
          });
          this.logger.warn(
            { orderId: row.id, attempt: row.payment_attempt, redrive: row.redrives, by },
            'no payment result in time: payment asked for again',
          );
        }
        claimed.push(...rows);
      });
    } catch (error) {
      // A sync order's payment runs in-process after the commit: the re-drive stands even if
      // that run fails, and its next deadline will catch it.
      if (!(error instanceof DeliveryFailedError)) throw error;
      this.logger.error({ error: String(error.cause) }, 're-driven payment did not complete');
    }
    if (claimed.length > 0) this.overdue.inc({ action: 'redriven' }, claimed.length);
    return claimed.map((row) => row.id);
  }
}

function orderOf(row: WaitingOrderRow) {
  return {
    id: row.id,
    userId: row.user_id,
    amountCents: row.amount_cents,
    currency: row.currency,
    paymentToken: row.payment_token,
    paymentAttempt: row.payment_attempt,
  };
}
