import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * An order waiting for its payment that needs watching: past its deadline, already
 * re-driven, or flagged for a human (SQL over `orders`, for rows in PENDING_PAYMENT).
 */
export const STUCK_ORDER =
  '(watch_until < now() OR redrives > 0 OR needs_attention_at IS NOT NULL)';

export interface PaymentBacklogCounts {
  /** Orders waiting for their payment, in all instances. */
  waiting: number;
  /** Of them, those past their deadline, re-driven or flagged (GET /admin/stuck-orders). */
  stuck: number;
  /** Of them, those re-driven REDRIVE_LIMIT times: a human has to look. */
  needingAttention: number;
}

/** Counts the orders waiting for their payment (one scan of the waiting orders' index). */
@Injectable()
export class PaymentBacklog {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async counts(): Promise<PaymentBacklogCounts> {
    const [counts] = await this.dataSource.query<PaymentBacklogCounts[]>(
      `SELECT count(*)::int AS waiting,
              count(*) FILTER (WHERE ${STUCK_ORDER})::int AS stuck,
              count(needs_attention_at)::int AS "needingAttention"
         FROM orders WHERE status = 'PENDING_PAYMENT'`,
    );
    return counts;
  }
}
