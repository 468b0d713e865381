import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { MessageStanding, MessageStandings } from '../../../messaging';
import { StuckOrderView } from '../dto/stuck-order.view';
import { STUCK_ORDER } from './payment-backlog';
import { verdictOf } from './verdict';

interface StuckRow {
  id: string;
  user_id: string;
  mode: 'sync' | 'async';
  payment_attempt: number;
  created_at: Date;
  waiting_seconds: number;
  redrives: number;
  watch_until: Date;
  overdue: boolean;
  needs_attention_at: Date | null;
}

/** What admins read of the orders the watchdog watches closely, each lost or late. */
@Injectable()
export class StuckOrders {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly standings: MessageStandings,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Orders waiting for their payment past their deadline, re-driven, or flagged for a human:
   * those flagged first, then the longest waiting; each with where its payment stands.
   */
  async list(limit: number): Promise<StuckOrderView[]> {
    const rows = await this.dataSource.query<StuckRow[]>(
      `SELECT id, user_id, mode, payment_attempt, created_at, redrives, watch_until,
              watch_until < now() AS overdue, needs_attention_at,
              extract(epoch FROM now() - created_at)::float AS waiting_seconds
         FROM orders
        WHERE status = 'PENDING_PAYMENT'
          AND ${STUCK_ORDER}
        ORDER BY needs_attention_at IS NULL, created_at
        LIMIT $1`,
      [limit],
    );
    const standings = await this.standings.of(
      rows.filter((row) => row.mode === 'async').map((row) => row.id),
    );
    const { lossWindowMs } = this.config.watchdog;
    return rows.map((row) => viewOf(row, standings.get(row.id) ?? null, lossWindowMs));
  }
}

function viewOf(
  row: StuckRow,
  message: MessageStanding | null,
  lossWindowMs: number,
): StuckOrderView {
  const standing = message?.state ?? 'in_process';
  return {
    id: row.id,
    userId: row.user_id,
    mode: row.mode,
    paymentAttempt: row.payment_attempt,
    createdAt: row.created_at,
    waitingSeconds: Math.round(row.waiting_seconds),
    redrives: row.redrives,
    watchUntil: row.watch_until,
    needsAttentionAt: row.needs_attention_at,
    verdict: verdictOf(
      { overdue: row.overdue, flagged: row.needs_attention_at !== null },
      { standing, stagedMsAgo: message?.stagedMsAgo ?? null },
      lossWindowMs,
    ),
    standing,
    message:
      message?.topic && message.partition !== null
        ? {
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            committedOffset: message.committed,
            ahead: message.ahead,
          }
        : null,
  };
}
