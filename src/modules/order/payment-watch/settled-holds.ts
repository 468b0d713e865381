import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { CartSettlement } from '../../cart';

/** Longer than a result takes from the order to the cart, even at peak. */
const GRACE_MS = 10_000;
/** The sweep reads every order still holding units: not on every watchdog round. */
const EVERY_MS = 10_000;

/**
 * Orders whose payment is decided while their units or their shopper's cart stay held: the
 * result reached the order but not the cart (in sync mode each handles it in a transaction of
 * its own, and one that failed is not delivered again). Each is settled as the cart's handler
 * would have, so no shopper is locked out of their cart by an order already paid or failed.
 */
@Injectable()
export class SettledHolds {
  private lastSweep = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settlement: CartSettlement,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(SettledHolds.name);
  }

  /** Settles the leftovers, at most once every EVERY_MS; returns how many. */
  async release(now = Date.now()): Promise<number> {
    if (now - this.lastSweep < EVERY_MS) return 0;
    this.lastSweep = now;
    const holders = await this.settlement.holders(GRACE_MS);
    if (holders.length === 0) return 0;
    const decided = await this.dataSource.query<{ id: string; user_id: string; status: string }[]>(
      `SELECT id, user_id, status FROM orders
        WHERE id = ANY($1) AND status <> 'PENDING_PAYMENT'
          AND updated_at < now() - $2 * interval '1 millisecond'`,
      [holders, GRACE_MS],
    );
    for (const order of decided) {
      await this.settlement.settleLeftover({
        orderId: order.id,
        userId: order.user_id,
        approved: order.status === 'PAID',
      });
      this.logger.warn(
        { orderId: order.id, status: order.status },
        'order decided but its units or cart still held: settled',
      );
    }
    return decided.length;
  }
}
