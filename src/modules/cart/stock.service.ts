import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { returningRows } from '../../database/returning-rows';
import { InsufficientStockError, StockStillHeldError, UnknownProductError } from './cart.errors';
import { bySku } from './by-sku';
import { CheckoutLine } from './checkout-line';
import { Product } from './product.entity';
import { StockReservation } from './stock-reservation.entity';

/** Takes $2 units of product $1 off the shelf, if it has them: the row then stays locked. */
const TAKE_OFF_SHELF = `UPDATE products SET stock = stock - $2, updated_at = now()
                         WHERE sku = $1 AND stock >= $2 RETURNING sku`;

/**
 * Holds stock for an order from placement to payment. Every call runs inside the caller's
 * transaction, so an order and its reservation commit or roll back together.
 */
@Injectable()
export class StockService {
  /**
   * Takes the ordered units off the shelf and holds them for the order, or fails naming the
   * first SKU that is short. One conditional statement per SKU keeps stock from going negative
   * under concurrency; callers take stock last in their transaction, as a flash sale's orders
   * all wait on the one product row from here to the commit.
   */
  async reserve(
    manager: EntityManager,
    orderId: string,
    userId: string,
    lines: Pick<CheckoutLine, 'sku' | 'quantity'>[],
  ): Promise<void> {
    for (const { sku, quantity } of [...lines].sort(bySku)) {
      const held = await manager.query<{ sku: string }[]>(
        `WITH taken AS (${TAKE_OFF_SHELF}),
              held AS (INSERT INTO stock_reservations (order_id, sku, user_id, quantity, status)
                       SELECT $3, sku, $4, $2, 'RESERVED' FROM taken RETURNING sku)
         SELECT sku FROM held`,
        [sku, quantity, orderId, userId],
      );
      if (held.length === 0) await this.failShort(manager, sku, quantity);
    }
  }

  /**
   * Takes a released order's units off the shelf again, for a retried payment; fails like
   * `reserve` when they have been sold since.
   */
  async reserveAgain(manager: EntityManager, orderId: string): Promise<void> {
    if ((await this.holdOf(manager, orderId)).length > 0) throw new StockStillHeldError(orderId);
    const released = await manager.find(StockReservation, {
      where: { orderId, status: 'RELEASED' },
      order: { sku: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    for (const { sku, quantity } of [...released].sort(bySku)) {
      await this.takeOffShelf(manager, sku, quantity);
    }
    await manager.update(StockReservation, { orderId, status: 'RELEASED' }, { status: 'RESERVED' });
  }

  /** Puts an order's held units back on the shelf (payment failed or fraud rejected). */
  async release(manager: EntityManager, orderId: string): Promise<void> {
    const held = await this.holdOf(manager, orderId);
    for (const { sku, quantity } of [...held].sort(bySku)) {
      await manager.query(
        `UPDATE products SET stock = stock + $2, updated_at = now() WHERE sku = $1`,
        [sku, quantity],
      );
    }
    await this.settle(manager, orderId, 'RELEASED');
  }

  /** Marks an order's held units as sold; returns them so the cart can drop them. */
  async commit(
    manager: EntityManager,
    orderId: string,
  ): Promise<{ sku: string; quantity: number }[]> {
    // One statement, as every paid order comes here: the rows locked in SKU order, as in holdOf.
    return returningRows<{ sku: string; quantity: number }>(
      manager,
      `UPDATE stock_reservations r SET status = 'COMMITTED', updated_at = now()
         FROM (SELECT sku FROM stock_reservations WHERE order_id = $1 AND status = 'RESERVED'
                ORDER BY sku FOR UPDATE) held
        WHERE r.order_id = $1 AND r.sku = held.sku
       RETURNING r.sku, r.quantity`,
      [orderId],
    );
  }

  private async takeOffShelf(manager: EntityManager, sku: string, quantity: number) {
    const rows = await returningRows<{ sku: string }>(manager, TAKE_OFF_SHELF, [sku, quantity]);
    if (rows.length === 0) await this.failShort(manager, sku, quantity);
  }

  private async failShort(manager: EntityManager, sku: string, quantity: number): Promise<never> {
    const product = await manager.findOneBy(Product, { sku });
    if (!product) throw new UnknownProductError(sku);
    throw new InsufficientStockError(sku, product.stock, quantity);
  }

  private holdOf(manager: EntityManager, orderId: string): Promise<StockReservation[]> {
    return manager.find(StockReservation, {
      where: { orderId, status: 'RESERVED' },
      order: { sku: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  private async settle(
    manager: EntityManager,
    orderId: string,
    status: 'RELEASED' | 'COMMITTED',
  ): Promise<void> {
    await manager.update(StockReservation, { orderId, status: 'RESERVED' }, { status });
  }
}
