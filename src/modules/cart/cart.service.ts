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
  UnknownProductError,
} from './cart.errors';
import { CheckoutLine } from './checkout-line';
import { CartView } from './dto/cart.view';
import { Product } from './product.entity';

/** A shopper's cart: what they mean to buy, priced from the catalogue when read. */
@Injectable()
export class CartService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async view(userId: string): Promise<CartView> {
    const lines = await this.linesOf(this.dataSource.manager, userId);
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
    };
  }

  /** Adds units of a product; refuses more than the stock left. */
  async add(userId: string, sku: string, quantity: number): Promise<CartView> {
    await this.dataSource.transaction(async (manager) => {
      const product = await this.productOrFail(manager, sku);
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
      const existing = await manager.findOneBy(CartItem, { userId, sku });
      if (!existing) throw new NotInCartError(sku);
      if (quantity > product.stock) throw new InsufficientStockError(sku, product.stock, quantity);
      await manager.update(CartItem, { userId, sku }, { quantity });
    });
    return this.view(userId);
  }

  async remove(userId: string, sku: string): Promise<CartView> {
    const removed = await returningRows(
      this.dataSource.manager,
      `DELETE FROM cart_items WHERE user_id = $1 AND sku = $2 RETURNING sku`,
      [userId, sku],
    );
    if (removed.length === 0) throw new NotInCartError(sku);
    return this.view(userId);
  }

  /** The cart as order lines for checkout, inside the order's transaction. */
  async checkoutLines(manager: EntityManager, userId: string): Promise<CheckoutLine[]> {
    const lines = await this.linesOf(manager, userId);
    if (lines.length === 0) throw new EmptyCartError();
    const currencies = [...new Set(lines.map((line) => line.currency))];
    if (currencies.length > 1) throw new MixedCurrencyError(currencies);
    return lines;
  }

  /** Takes the ordered units out of the cart; what the shopper added since stays. */
  async removeOrdered(
    manager: EntityManager,
    userId: string,
    ordered: { sku: string; quantity: number }[],
  ): Promise<void> {
    for (const { sku, quantity } of ordered) {
      await manager.query(
        `DELETE FROM cart_items WHERE user_id = $1 AND sku = $2 AND quantity <= $3`,
        [userId, sku, quantity],
      );
      await manager.query(
        `UPDATE cart_items SET quantity = quantity - $3
          WHERE user_id = $1 AND sku = $2 AND quantity > $3`,
        [userId, sku, quantity],
      );
    }
  }

  private async linesOf(manager: EntityManager, userId: string): Promise<CheckoutLine[]> {
    const rows: {
      sku: string;
      name: string;
      price_cents: number;
      currency: string;
      quantity: number;
    }[] = await manager.query(
      `SELECT i.sku, p.name, p.price_cents, p.currency, i.quantity
         FROM cart_items i JOIN products p ON p.sku = i.sku
        WHERE i.user_id = $1 ORDER BY i.sku`,
      [userId],
    );
    return rows.map((row) => ({
      sku: row.sku,
      name: row.name,
      unitPriceCents: row.price_cents,
      quantity: row.quantity,
      currency: row.currency,
    }));
  }

  private async productOrFail(manager: EntityManager, sku: string): Promise<Product> {
    const product = await manager.findOneBy(Product, { sku });
    if (!product) throw new UnknownProductError(sku);
    return product;
  }
}
