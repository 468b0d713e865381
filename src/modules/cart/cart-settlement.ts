import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CartService } from './cart.service';
import { StockService } from './stock.service';

/**
 * What an order's decided payment does to the cart: approved, its held units are sold and leave
 * the cart; otherwise they go back on sale and the cart stays as it was. Either way the cart is
 * free for the shopper's next order. Safe to run twice: only units still held move.
 */
@Injectable()
export class CartSettlement {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cart: CartService,
    private readonly stock: StockService,
  ) {}

  async settle(
    manager: EntityManager,
    order: { orderId: string; userId: string; approved: boolean },
  ): Promise<void> {
    const { orderId, userId, approved } = order;
    if (approved) {
      const sold = await this.stock.commit(manager, orderId);
      await this.cart.removeOrdered(manager, userId, orderId, sold);
    } else {
      await this.stock.release(manager, orderId);
      await this.cart.letGo(manager, orderId);
    }
  }

  /** Settles, in a transaction of its own, an order whose result never reached the cart. */
  async settleLeftover(order: { orderId: string; userId: string; approved: boolean }) {
    await this.dataSource.transaction((manager) => this.settle(manager, order));
  }

  /**
   * Orders that still hold units or a cart: those awaiting their payment, and any whose result
   * did not reach the cart. Units held less than `graceMs` are left to the result on its way.
   */
  async holders(graceMs: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ order_id: string }[]>(
      `SELECT order_id FROM stock_reservations
        WHERE status = 'RESERVED' AND updated_at < now() - $1 * interval '1 millisecond'
       UNION
       SELECT held_by FROM cart_items WHERE held_by IS NOT NULL`,
      [graceMs],
    );
    return rows.map((row) => row.order_id);
  }
}
