import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { LastStatement } from '../../database/pipelined-transaction';
import { returningRows } from '../../database/returning-rows';
import { columnsOf } from '../../database/statements-together';
import { CommitStep } from '../../messaging';
import { InsufficientStockError, StockStillHeldError, UnknownProductError } from './cart.errors';
import { bySku } from './by-sku';
import { CheckoutLine } from './checkout-line';
import { Product } from './product.entity';
import { StockReservation } from './stock-reservation.entity';

/**
 * Takes $2 units of product $1 off the shelf for order $3 of shopper $4 and holds them; fails
 * when the shelf has fewer (its CHECK that stock never goes below 0) or there is no such product
 * (the reservation's reference to it).
 */
const RESERVE = `WITH taken AS (UPDATE products SET stock = stock - $2, updated_at = now() WHERE sku = $1)
                 INSERT INTO stock_reservations (order_id, sku, user_id, quantity, status)
                 VALUES ($3, $1, $4, $2, 'RESERVED')`;
/**
 * Takes $2 units of product $1 off the shelf for orders $3 of shoppers $4, $5 units each: the
 * reservations of one SKU by the orders sharing a transaction, in one statement.
 */
const RESERVE_FOR_MANY = `WITH taken AS (UPDATE products SET stock = stock - $2, updated_at = now() WHERE sku = $1)
                          INSERT INTO stock_reservations (order_id, sku, user_id, quantity, status)
                          SELECT order_id, $1, user_id, quantity, 'RESERVED'
                            FROM unnest($3::uuid[], $4::varchar[], $5::int[]) AS held (order_id, user_id, quantity)`;

/** Reservations of many orders, one statement per SKU, in SKU order (bySku). */
function reservationsTogether(valuesOfEach: unknown[][]): LastStatement[] {
  const heldOfSku = new Map<string, [string, number, string, string][]>();
  for (const values of valuesOfEach as [string, number, string, string][]) {
    const held = heldOfSku.get(values[0]);
    if (held) held.push(values);
    else heldOfSku.set(values[0], [values]);
  }
  return [...heldOfSku]
    .map(([sku, held]) => ({ sku, held }))
    .sort(bySku)
    .map(({ sku, held }) => {
      const [, quantities, orderIds, userIds] = columnsOf(held);
      const units = held.reduce((sum, [, quantity]) => sum + quantity, 0);
      return { text: RESERVE_FOR_MANY, values: [sku, units, orderIds, userIds, quantities] };
    });
}

const SHELF_RUN_SHORT = 'products_stock_check';
const NO_SUCH_PRODUCT = 'stock_reservations_sku_fkey';

/**
 * Every reservation of order $1, locked in SKU order, whatever its status: the statements that
 * want only those still held filter them from these. Asked for by status too, PostgreSQL may read
 * the index of every unit held (stock_reservations_held) beside the order's own, as it does while
 * its statistics date from before the sale (that index then looked empty): a read that grows with
 * every order waiting for its payment.
 */
const ORDER_RESERVATIONS = `SELECT sku, quantity, status FROM stock_reservations
                             WHERE order_id = $1 ORDER BY sku FOR UPDATE`;

/** Takes $2 units of product $1 off the shelf, if it has them: the row then stays locked. */
const TAKE_OFF_SHELF = `UPDATE products SET stock = stock - $2, updated_at = now()
                         WHERE sku = $1 AND stock >= $2 RETURNING sku`;

/**
 * Holds stock for an order from placement to payment. Every call runs inside the caller's
 * transaction (or with its commit), so an order and its reservation commit or roll back together.
 */
@Injectable()
export class StockService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Takes the ordered units off the shelf and holds them for the order: one statement per SKU,
   * in SKU order, sent with the order's commit (`TransactionContext.withCommit`), as a flash
   * sale's orders all wait on the one product row, locked from here to the commit. The database
   * keeps stock from going negative under concurrency: a short SKU fails its statement and rolls
   * the order back, and the refusal names the first one.
   */
  reservation(
    orderId: string,
    userId: string,
    lines: Pick<CheckoutLine, 'sku' | 'quantity'>[],
  ): CommitStep {
    const sorted = [...lines].sort(bySku);
    return {
      statements: sorted.map(({ sku, quantity }) => ({
        text: RESERVE,
        values: [sku, quantity, orderId, userId],
        together: reservationsTogether,
      })),
      lockOrder: sorted.map(({ sku }) => sku),
      refusal: (failure, index) => this.refusalOf(failure, sorted[index]),
    };
  }

  /**
   * Takes a released order's units off the shelf again, for a retried payment; refused like an
   * order's reservation when they have been sold since.
   */
  async reserveAgain(manager: EntityManager, orderId: string): Promise<void> {
    const reservations = await this.reservationsOf(manager, orderId);
    if (reservations.some(({ status }) => status === 'RESERVED')) {
      throw new StockStillHeldError(orderId);
    }
    const released = reservations.filter(({ status }) => status === 'RELEASED');
    for (const { sku, quantity } of released) await this.takeOffShelf(manager, sku, quantity);
    if (released.length === 0) return;
    await manager.query(
      `UPDATE stock_reservations SET status = 'RESERVED', updated_at = now()
        WHERE order_id = $1 AND sku = ANY($2)`,
      [orderId, released.map(({ sku }) => sku)],
    );
  }

  /** Puts an order's held units back on the shelf (payment failed or fraud rejected). */
  async release(manager: EntityManager, orderId: string): Promise<void> {
    const held = await this.holdOf(manager, orderId);
    for (const { sku, quantity } of held) {
      await manager.query(
        `UPDATE products SET stock = stock + $2, updated_at = now() WHERE sku = $1`,
        [sku, quantity],
      );
    }
    if (held.length === 0) return;
    await manager.query(
      `UPDATE stock_reservations SET status = 'RELEASED', updated_at = now()
        WHERE order_id = $1 AND sku = ANY($2)`,
      [orderId, held.map(({ sku }) => sku)],
    );
  }

  /** Marks an order's held units as sold; returns them so the cart can drop them. */
  async commit(
    manager: EntityManager,
    orderId: string,
  ): Promise<{ sku: string; quantity: number }[]> {
    // One statement, as every paid order comes here: the rows locked in SKU order, as in holdOf.
    return returningRows<{ sku: string; quantity: number }>(
      manager,
      `WITH held AS MATERIALIZED (${ORDER_RESERVATIONS})
       UPDATE stock_reservations r SET status = 'COMMITTED', updated_at = now()
         FROM held
        WHERE held.status = 'RESERVED' AND r.order_id = $1 AND r.sku = held.sku
       RETURNING r.sku, r.quantity`,
      [orderId],
    );
  }

  private async refusalOf(
    failure: QueryFailedError,
    { sku, quantity }: Pick<CheckoutLine, 'sku' | 'quantity'>,
  ): Promise<Error> {
    const { constraint } = failure.driverError as { constraint?: string };
    if (constraint === NO_SUCH_PRODUCT) return new UnknownProductError(sku);
    if (constraint !== SHELF_RUN_SHORT) return failure;
    return this.shortOf(this.dataSource.manager, sku, quantity);
  }

  private async takeOffShelf(manager: EntityManager, sku: string, quantity: number) {
    const rows = await returningRows<{ sku: string }>(manager, TAKE_OFF_SHELF, [sku, quantity]);
    if (rows.length === 0) throw await this.shortOf(manager, sku, quantity);
  }

  /** The refusal of `quantity` units of `sku`: none such, or how many are left. */
  private async shortOf(manager: EntityManager, sku: string, quantity: number): Promise<Error> {
    const product = await manager.findOneBy(Product, { sku });
    if (!product) return new UnknownProductError(sku);
    return new InsufficientStockError(sku, product.stock, quantity);
  }

  /** The units the order holds, its reservations locked in SKU order. */
  private async holdOf(
    manager: EntityManager,
    orderId: string,
  ): Promise<{ sku: string; quantity: number }[]> {
    const reservations = await this.reservationsOf(manager, orderId);
    return reservations.filter(({ status }) => status === 'RESERVED');
  }

  /**
   * Every reservation of the order, whatever its status, locked; listed in the code-point order of
   * their SKUs (bySku), the order the shelf's rows are locked in, whatever the database's
   * collation.
   */
  private async reservationsOf(
    manager: EntityManager,
    orderId: string,
  ): Promise<Pick<StockReservation, 'sku' | 'quantity' | 'status'>[]> {
    const rows = await manager.query<Pick<StockReservation, 'sku' | 'quantity' | 'status'>[]>(
      ORDER_RESERVATIONS,
      [orderId],
    );
    return rows.sort(bySku);
  }
}
