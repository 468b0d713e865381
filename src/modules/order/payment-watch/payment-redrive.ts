import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { returningRows } from '../../../database/returning-rows';
import { DeliveryFailedError, MessageStandings, UnitOfWork } from '../../../messaging';
import { Metrics } from '../../../runtime/metrics/metric-names';
import { Order } from '../order.entity';
import { OrderLine } from '../order-line.entity';
import { OrderNotFoundError, OrderNotWaitingError } from '../order.errors';
import { OrderQueries } from '../order-queries';
import { PayableOrder, PaymentRequests } from '../checkout/payment-requests';
import { CutOffPayments } from './cut-off-payments';
import { watchUntilSql } from './payment-watch';
import { PaymentStanding, verdictOf } from './verdict';

/** What a re-drive needs of the order it claims. */
interface ClaimedOrder extends PayableOrder {
  mode: Order['mode'];
  redrives: number;
}

export interface Overdue {
  redriven: string[];
  /** Orders that used up REDRIVE_LIMIT and are now flagged for a human. */
  flagged: string[];
  /** Async orders past their deadline whose message is on its way, and the most ahead of one. */
  late: { orders: number; mostAhead: number };
}

const BATCH = 50;
/**
 * Sync orders whose payments one instance re-runs at once: each holds a pooled connection at a
 * time, and the requests this instance serves need theirs.
 */
const SYNC_REDRIVES_AT_ONCE = 4;
/** Overdue async orders looked at per round: in a backlog, the longest waiting come first. */
const ASYNC_LOOKED_AT = 500;

/** Waiting for payment past its deadline, not yet flagged for a human. */
const OVERDUE = `status = 'PENDING_PAYMENT' AND needs_attention_at IS NULL AND watch_until < now()`;

/**
 * Asks again for the payment of an order that waited too long for it and will not get it by
 * itself: its message was lost on its way, or the process running its sync payment is gone. Safe because every step of a payment is idempotent (the payment
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
    private readonly standings: MessageStandings,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.ordersOverdue) private readonly overdue: Counter<'action'>,
    @InjectMetric(Metrics.ordersLost) private readonly lost: Counter<'standing'>,
  ) {
    this.logger.setContext(PaymentRedrive.name);
  }

  /**
   * Re-drives the overdue orders that are lost, within the limit, and flags those past it. Sync
   * orders are re-driven a few at a time, each running its payment here, in-process, as it was
   * accepted. An async order is re-driven only if its message is lost (see verdictOf); one
   * whose message is still queued is left to come, and counted as late.
   */
  async sweep(): Promise<Overdue> {
    const { redriveLimit } = this.config.watchdog;
    const redriven: string[] = [];
    const redriveSyncUntilNone = async () => {
      while (redriven.length < BATCH) {
        const orderId = await this.redriveFirst(
          `mode = 'sync' AND ${OVERDUE} AND redrives < $1`,
          [redriveLimit],
          'watchdog',
        );
        if (!orderId) return;
        this.lost.inc({ standing: 'in_process' });
        redriven.push(orderId);
      }
    };
    const sync = await this.syncOverdue();
    if (sync.toRedrive) {
      await Promise.all(Array.from({ length: SYNC_REDRIVES_AT_ONCE }, redriveSyncUntilNone));
    }

    const { lost, late } = await this.overdueAsync();
    const spent: string[] = [];
    for (const { id, redrives, standing } of lost) {
      if (redrives >= redriveLimit) {
        spent.push(id);
        continue;
      }
      const orderId = await this.redriveFirst(
        `id = $1 AND mode = 'async' AND ${OVERDUE} AND redrives < $2`,
        [id, redriveLimit],
        'watchdog',
      );
      if (!orderId) continue;
      this.lost.inc({ standing });
      redriven.push(orderId);
    }
    const flagged = spent.length > 0 || sync.toFlag ? await this.flag(spent) : [];
    return { redriven, flagged, late };
  }

  /**
   * Whether any sync order is overdue, to re-drive or to flag: one read, where claiming them
   * would take a transaction per re-drive lane and one to flag at every sweep, nearly always
   * to find none.
   */
  private async syncOverdue(): Promise<{ toRedrive: boolean; toFlag: boolean }> {
    const [due] = await this.dataSource.query<{ toRedrive: boolean; toFlag: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM orders WHERE mode = 'sync' AND ${OVERDUE} AND redrives < $1)
                AS "toRedrive",
              EXISTS (SELECT 1 FROM orders WHERE mode = 'sync' AND ${OVERDUE} AND redrives >= $1)
                AS "toFlag"`,
      [this.config.watchdog.redriveLimit],
    );
    return due;
  }

  /**
   * The async orders past their deadline (the longest overdue first, up to a batch), each with
   * where its message stands, told apart: lost ones, and what is known of the late ones.
   */
  private async overdueAsync(): Promise<{
    lost: { id: string; redrives: number; standing: PaymentStanding }[];
    late: Overdue['late'];
  }> {
    const overdue = await this.dataSource.query<{ id: string; redrives: number }[]>(
      `SELECT id, redrives FROM orders WHERE mode = 'async' AND ${OVERDUE}
        ORDER BY watch_until LIMIT $1`,
      [ASYNC_LOOKED_AT],
    );
    const standings = await this.standings.of(overdue.map((order) => order.id));
    const lost: { id: string; redrives: number; standing: PaymentStanding }[] = [];
    const late = { orders: 0, mostAhead: 0 };
    for (const { id, redrives } of overdue) {
      const standing = standings.get(id)!;
      const payment = { standing: standing.state, stagedMsAgo: standing.stagedMsAgo };
      const { lossWindowMs } = this.config.watchdog;
      if (verdictOf({ overdue: true, flagged: false }, payment, lossWindowMs) === 'lost') {
        lost.push({ id, redrives, standing: standing.state });
      } else {
        late.orders += 1;
        late.mostAhead = Math.max(late.mostAhead, standing.ahead ?? 0);
      }
    }
    return { lost, late };
  }

  /**
   * Flags for a human the overdue orders that used up their re-drives: sync ones, and the
   * async ones given (found lost; a late one is never flagged).
   */
  private async flag(asyncOrderIds: string[]): Promise<string[]> {
    const flagged = await this.unitOfWork.run(({ manager }) =>
      returningRows<{ id: string; redrives: number; mode: Order['mode'] }>(
        manager,
        `UPDATE orders SET needs_attention_at = now()
          WHERE id IN (SELECT id FROM orders
                        WHERE ${OVERDUE} AND redrives >= $2 AND (mode = 'sync' OR id = ANY($3))
                        LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id, redrives, mode`,
        [BATCH, this.config.watchdog.redriveLimit, asyncOrderIds],
      ),
    );
    for (const { id, redrives, mode } of flagged) {
      this.logger.error(
        { orderId: id, redrives, mode },
        'order still has no payment result after every re-drive: needs a human',
      );
    }
    if (flagged.length > 0) this.overdue.inc({ action: 'flagged' }, flagged.length);
    return flagged.map((row) => row.id);
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
