import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { returningRows } from '../../../database/returning-rows';
import { DeliveryFailedError, UnitOfWork } from '../../../messaging';
import { Metrics } from '../../../ops/metrics/metric-names';
import { Order, OrderLine } from '../order.entities';
import { OrderNotFoundError, OrderNotWaitingError } from '../order.errors';
import { OrderQueries } from '../order-queries.service';
import { PayableOrder, PaymentRequests } from '../payment-request';
import { CutOffPayments } from './cut-off-payments';
import { watchUntilSql } from './payment-watch';

/** What a re-drive needs of the order it claims. */
interface ClaimedOrder extends PayableOrder {
  mode: Order['mode'];
  redrives: number;
}

export interface Overdue {
  redriven: string[];
  /** Orders that used up REDRIVE_LIMIT and are now flagged for a human. */
  flagged: string[];
}

const BATCH = 50;
/**
 * Sync orders whose payments one instance re-runs at once: each holds a pooled connection at a
 * time, and the requests this instance serves need theirs.
 */
const SYNC_REDRIVES_AT_ONCE = 4;

/** Waiting for payment past its deadline, not yet flagged for a human. */
const OVERDUE = `status = 'PENDING_PAYMENT' AND needs_attention_at IS NULL AND watch_until < now()`;

/**
 * Asks again for the payment of an order that waited too long for it: the message may have
 * been lost on its way. Safe because every step of a payment is idempotent (the payment
 * service finds a recorded payment, the gateway its idempotency key, consumers their inbox).
 * Each order is claimed with a new deadline in its own transaction, which also stages its
 * request, so two instances never re-drive the same order at once, and one order whose
 * (in-process) payment fails does not hold back the others.
 */
@Injectable()
export class PaymentRedrive {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly paymentRequests: PaymentRequests,
    private readonly queries: OrderQueries,
    private readonly cutOff: CutOffPayments,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.ordersOverdue) private readonly overdue: Counter<'action'>,
  ) {
    this.logger.setContext(PaymentRedrive.name);
  }

  /**
   * Re-drives the overdue orders within the limit and flags those past it. Sync orders are
   * re-driven a few at a time, each running its payment here, in-process, as it was accepted.
   */
  async sweep(): Promise<Overdue> {
    const { redriveLimit } = this.config.watchdog;
    const redriven: string[] = [];
    const redriveUntilNone = async (mode: Order['mode']) => {
      while (redriven.length < BATCH) {
        const orderId = await this.redriveFirst(
          `mode = $2 AND ${OVERDUE} AND redrives < $1`,
          [redriveLimit, mode],
          'watchdog',
        );
        if (!orderId) return;
        redriven.push(orderId);
      }
    };
    await Promise.all(
      Array.from({ length: SYNC_REDRIVES_AT_ONCE }, () => redriveUntilNone('sync')),
    );
    await redriveUntilNone('async');
    const flagged = await this.unitOfWork.run(({ manager }) =>
      returningRows<{ id: string; redrives: number }>(
        manager,
        `UPDATE orders SET needs_attention_at = now()
          WHERE id IN (SELECT id FROM orders WHERE ${OVERDUE} AND redrives >= $2
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
    if (await this.redriveFirst(`id = $1 AND status = 'PENDING_PAYMENT'`, [orderId], by)) return;
    const status = await this.queries.statusOf(orderId);
    if (!status) throw new OrderNotFoundError(orderId);
    throw new OrderNotWaitingError(orderId, status);
  }

  /** Claims the first order matching `where` and asks for its payment; its id, or null. */
  private async redriveFirst(where: string, params: unknown[], by: string): Promise<string | null> {
    // Kept outside the unit of work: a failed in-process delivery throws after the commit.
    const claim: { order: ClaimedOrder | null } = { order: null };
    const { syncLossWindowMs, lossWindowMs } = this.config.watchdog;
    const [syncWindow, asyncWindow] = [params.length + 1, params.length + 2];
    try {
      await this.unitOfWork.run(async ({ manager, publish }) => {
        const [order] = await returningRows<ClaimedOrder>(
          manager,
          `UPDATE orders
              SET redrives = redrives + 1, needs_attention_at = NULL,
                  watch_until = ${watchUntilSql(`(CASE mode WHEN 'sync' THEN $${syncWindow} ELSE $${asyncWindow} END)`)}
            WHERE id = (SELECT id FROM orders WHERE ${where}
                         ORDER BY watch_until LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, user_id AS "userId", mode, amount_cents AS "amountCents", currency,
                      payment_token AS "paymentToken", payment_attempt AS "paymentAttempt",
                      redrives`,
          [...params, syncLossWindowMs / 1000, lossWindowMs / 1000],
        );
        if (!order) return;
        claim.order = order;
        const lines = await manager.findBy(OrderLine, { orderId: order.id });
        this.paymentRequests.publish({ publish }, order, lines, order.mode);
        this.logger.warn(
          { orderId: order.id, attempt: order.paymentAttempt, redrive: order.redrives, by },
          'no payment result in time: payment asked for again',
        );
      });
    } catch (error) {
      // A sync order's payment runs in-process after the commit: the re-drive stands even if
      // that run fails, and its next deadline will catch it.
      if (!(error instanceof DeliveryFailedError)) throw error;
      if (claim.order) this.cutOff.note(claim.order.id, error.cause);
      this.logger.error(
        { orderId: claim.order?.id, error: String(error.cause) },
        're-driven payment did not complete',
      );
    }
    if (!claim.order) return null;
    this.overdue.inc({ action: 'redriven' });
    return claim.order.id;
  }
}
