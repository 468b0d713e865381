import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isConnectionError } from '../../../database/connection-errors';

/**
 * Sync payments this process saw cut off by the database going away (the gateway may have
 * charged; recording it failed), or never started because the answer to their order's COMMIT
 * was lost with the connection (the order may stand; an order never written is left alone).
 * Their run is over, so nothing is gained by waiting for their deadline: once the database answers again the watchdog makes them due at once, and re-drives
 * them within a round. Held in memory: if this process dies too, their deadline still catches
 * them, on any instance.
 */
@Injectable()
export class CutOffPayments {
  private readonly orders = new Set<string>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Notes an order whose in-process payment failed with `error`, if the database caused it. */
  note(orderId: string, error: unknown): void {
    if (isConnectionError(error)) this.orders.add(orderId);
  }

  /** Brings the deadline of the orders noted to now; throws while the database is still away. */
  async makeDue(): Promise<number> {
    if (this.orders.size === 0) return 0;
    const orderIds = [...this.orders];
    await this.dataSource.query(
      `UPDATE orders SET watch_until = now()
        WHERE id = ANY($1) AND status = 'PENDING_PAYMENT' AND watch_until > now()`,
      [orderIds],
    );
    for (const id of orderIds) this.orders.delete(id);
    return orderIds.length;
  }
}
