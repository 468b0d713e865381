import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TimelineEntryType } from './order.entities';

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
}
