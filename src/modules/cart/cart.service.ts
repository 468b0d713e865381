import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { returningRows } from '../../database/returning-rows';
import { CartItem } from './cart-item.entity';
import {
  EmptyCartError,
  InsufficientStockError,
  MixedCurrencyError,
  NotInCartError,
  OrderUnderWayError,
  UnknownProductError,
} from './cart.errors';
import { bySku } from './by-sku';
import { CheckoutLine } from './checkout-line';
import { CartView } from './dto/cart.view';
import { Product } from './product.entity';

interface CartRow {
  sku: string;
  name: string;
  price_cents: number;
  currency: string;
  quantity: number;
  held_by: string | null;
}

/** A row of `holdCartSql`: held by its order, or by another already under way. */
export type HeldCartRow = CartRow & { held_by: string };

/**
 * A statement (or a CTE of one) that holds the cart of the shopper `$shopper` for the order
 * `$order` and returns its items priced from the catalogue (sku, name, price_cents, currency,
 * quantity, held_by): the items are locked, held and read at once, so a request that waited for
 * another's lock finds them held by that order. `CartService.linesHeldFor` reads the rows. The
 * order places itself in the same statement: one round trip per order at the peak.
 */
export function holdCartSql(shopper: string, order: string): string {
  // Rows locked in SKU order, as the cart's other writers take them, so none deadlocks.
  return `UPDATE cart_items i SET held_by = COALESCE(i.held_by, ${order})
            FROM (SELECT sku FROM cart_items WHERE user_id = ${shopper} ORDER BY sku FOR UPDATE) locked,
                 products p
           WHERE i.user_id = ${shopper} AND i.sku = locked.sku AND p.sku = i.sku
          RETURNING i.sku, p.name, p.price_cents, p.currency, i.quantity, i.held_by`;
}

/** After the hold every row is held: by another order under way if it was already. */
function refuseHeldByAnother(orderId: string, rows: HeldCartRow[]): void {
  const underWay = rows.find((row) => row.held_by !== orderId)?.held_by;
  if (underWay) throw new OrderUnderWayError(underWay);
}

const lineOf = (row: CartRow): CheckoutLine => ({
  sku: row.sku,
  name: row.name,
  unitPriceCents: row.price_cents,
  quantity: row.quantity,
  currency: row.currency,
});

/** A shopper's cart: what they mean to buy, priced from the catalogue when read. */
@Injectable()
export class CartService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async view(userId: string): Promise<CartView> {
    const rows = await this.rowsOf(this.dataSource.manager, userId);
    const lines = rows.map(lineOf);
    const currencies = [...new Set(lines.map((line) => line.currency))];
    return {
      items: lines.map(({ sku, name, unitPriceCents, quantity }) => ({
        sku,
        name,
        unitPriceCents,
        quantity,
        lineTotalCents: unitPriceCents * quantity,
      })),
      totalCents: lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0),
      currency: currencies.length === 1 ? currencies[0] : null,
      orderUnderWay: rows.find((row) => row.held_by)?.held_by ?? null,
    };
  }

  /** Adds units of a product; refuses more than the stock left. */
  async add(userId: string, sku: string, quantity: number): Promise<CartView> {
    await this.dataSource.transaction(async (manager) => {
      const product = await this.productOrFail(manager, sku);
      await this.refuseWhileHeld(manager, userId);
      // One statement, so two adds at once both count.
      const [{ quantity: wanted }] = await manager.query<{ quantity: number }[]>(
        `INSERT INTO cart_items (user_id, sku, quantity) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, sku) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity
         RETURNING quantity`,
        [userId, sku, quantity],
      );
      if (wanted > product.stock) throw new InsufficientStockError(sku, product.stock, wanted);
    });
    return this.view(userId);
  }

  /** Sets the quantity of a product already in the cart. */
  async change(userId: string, sku: string, quantity: number): Promise<CartView> {
    await this.dataSource.transaction(async (manager) => {
      const product = await this.productOrFail(manager, sku);
      await this.refuseWhileHeld(manager, userId);
      const existing = await manager.findOneBy(CartItem, { userId, sku });
      if (!existing) throw new NotInCartError(sku);
      if (quantity > product.stock) throw new InsufficientStockError(sku, product.stock, quantity);
      await manager.update(CartItem, { userId, sku }, { quantity });
    });
    return this.view(userId);
  }

  async remove(userId: string, sku: string): Promise<CartView> {
    await this.dataSource.transaction(async (manager) => {
      await this.refuseWhileHeld(manager, userId);
      const removed = await returningRows(
        manager,
        `DELETE FROM cart_items WHERE user_id = $1 AND sku = $2 RETURNING sku`,
        [userId, sku],
      );
      if (removed.length === 0) throw new NotInCartError(sku);
    });
    return this.view(userId);
  }

  /**
   * The cart's rows held for an order, as order lines for checkout (see `holdCartSql`): refuses a
   * cart that is empty, mixes currencies, or that another order holds (naming that order).
   */
  linesHeldFor(orderId: string, rows: HeldCartRow[]): CheckoutLine[] {
    refuseHeldByAnother(orderId, rows);
    const lines = [...rows].sort(bySku).map(lineOf);
    if (lines.length === 0) throw new EmptyCartError();
    const currencies = [...new Set(lines.map((line) => line.currency))];
    if (currencies.length > 1) throw new MixedCurrencyError(currencies);
    return lines;
  }

  /**
   * Holds the cart, whatever it holds now, for an order whose payment is retried: another order
   * under way from the same cart cannot start meanwhile, nor this one while another is.
   */
  async holdFor(manager: EntityManager, userId: string, orderId: string): Promise<void> {
    const rows = await returningRows<HeldCartRow>(manager, holdCartSql('$1', '$2'), [
      userId,
      orderId,
    ]);
    refuseHeldByAnother(orderId, rows);
  }

  /** The order's payment is decided: the cart, less what it sold, is free for the next order. */
  async letGo(manager: EntityManager, orderId: string): Promise<void> {
    await manager.query(`UPDATE cart_items SET held_by = NULL WHERE held_by = $1`, [orderId]);
  }

  /**
   * Takes the units an order bought out of the cart, nothing another order holds, and lets go
   * of what is left of the order's hold: one statement, as every paid order comes here, with
   * the rows locked in SKU order as the cart's other writers take them.
   */
  async removeOrdered(
    manager: EntityManager,
    userId: string,
    orderId: string,
    ordered: { sku: string; quantity: number }[],
  ): Promise<void> {
    await manager.query(
      `WITH settled AS MATERIALIZED (
         SELECT i.sku, i.quantity - coalesce(o.quantity, 0) AS left_over
           FROM cart_items i
           LEFT JOIN unnest($2::varchar[], $3::int[]) AS o (sku, quantity) ON o.sku = i.sku
          WHERE i.user_id = $1 AND (i.held_by = $4 OR (i.held_by IS NULL AND o.sku IS NOT NULL))
          ORDER BY i.sku FOR UPDATE OF i),
       sold_out AS (
         DELETE FROM cart_items i USING settled s
          WHERE i.user_id = $1 AND i.sku = s.sku AND s.left_over <= 0)
       UPDATE cart_items i SET quantity = s.left_over, held_by = NULL
         FROM settled s
        WHERE i.user_id = $1 AND i.sku = s.sku AND s.left_over > 0`,
      [userId, ordered.map((line) => line.sku), ordered.map((line) => line.quantity), orderId],
    );
  }

  /** Refuses a change to a cart an order under way holds: what it orders is settled. */
  private async refuseWhileHeld(manager: EntityManager, userId: string): Promise<void> {
    const [held] = await manager.query<{ held_by: string }[]>(
      `SELECT held_by FROM cart_items WHERE user_id = $1 AND held_by IS NOT NULL LIMIT 1`,
      [userId],
    );
    if (held) throw new OrderUnderWayError(held.held_by);
  }

  private async rowsOf(manager: EntityManager, userId: string): Promise<CartRow[]> {
    return manager.query<CartRow[]>(
      `SELECT i.sku, p.name, p.price_cents, p.currency, i.quantity, i.held_by
         FROM cart_items i JOIN products p ON p.sku = i.sku
        WHERE i.user_id = $1 ORDER BY i.sku`,
      [userId],
    );
  }

  private async productOrFail(manager: EntityManager, sku: string): Promise<Product> {
    const product = await manager.findOneBy(Product, { sku });
    if (!product) throw new UnknownProductError(sku);
    return product;
  }
}
