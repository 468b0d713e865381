import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OrderStatus } from './order-state';
import { TimelineEntryType } from './timeline-entry.entity';

/** Appends to an order's timeline inside the transaction that changed the order. */
@Injectable()
export class OrderTimeline {
  async append(
    manager: EntityManager,
    orderId: string,
    type: TimelineEntryType,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO order_timeline (order_id, type, detail) VALUES ($1, $2, $3::jsonb)`,
      [orderId, type, JSON.stringify(detail)],
    );
  }

  /**
   * Moves an order to its payment's result and appends the entry for it, in one statement, as
   * every paid order at peak comes here.
   */
  async recordResult(
    manager: EntityManager,
    orderId: string,
    result: { status: OrderStatus; paymentId: string; failureReason: string | null },
    detail: Record<string, unknown>,
  ): Promise<void> {
    await manager.query(
      `WITH moved AS (
         UPDATE orders SET status = $2, payment_id = $3, failure_reason = $4, updated_at = now()
          WHERE id = $1 RETURNING id)
       INSERT INTO order_timeline (order_id, type, detail) SELECT id, $2, $5::jsonb FROM moved`,
      [orderId, result.status, result.paymentId, result.failureReason, JSON.stringify(detail)],
    );
  }
}
