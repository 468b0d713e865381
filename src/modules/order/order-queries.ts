import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PaymentRecords } from '../payment';
import { OrderView, TimelineEntryView } from './dto/order.view';
import { Order } from './order.entity';
import { OrderLine } from './order-line.entity';
import { TimelineEntry } from './timeline-entry.entity';
import { OrderNotFoundError } from './order.errors';
import { orderViewOf } from './order-view-of';

/** What a shopper may read of their orders; another shopper's order does not exist for them. */
@Injectable()
export class OrderQueries {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly payments: PaymentRecords,
  ) {}

  async view(userId: string, orderId: string): Promise<OrderView> {
    return this.viewOf(await this.ownOrder(userId, orderId));
  }

  /** Any shopper's order, for admins. */
  async viewAny(orderId: string): Promise<OrderView> {
    const order = await this.dataSource.manager.findOneBy(Order, { id: orderId });
    if (!order) throw new OrderNotFoundError(orderId);
    return this.viewOf(order);
  }

  private async viewOf(order: Order): Promise<OrderView> {
    const lines = await this.dataSource.manager.find(OrderLine, {
      where: { orderId: order.id },
      order: { sku: 'ASC' },
    });
    return orderViewOf(order, lines, await this.payments.latestFor(order.id));
  }

  async timeline(userId: string, orderId: string): Promise<TimelineEntryView[]> {
    await this.ownOrder(userId, orderId);
    const entries = await this.dataSource.manager.find(TimelineEntry, {
      where: { orderId },
      order: { id: 'ASC' },
    });
    return entries.map(({ type, detail, at }) => ({ type, detail, at }));
  }

  /** Any order's status, for admins; null when there is no such order. */
  async statusOf(orderId: string): Promise<Order['status'] | null> {
    const order = await this.dataSource.manager.findOne(Order, {
      where: { id: orderId },
      select: { status: true },
    });
    return order?.status ?? null;
  }

  async findByKey(userId: string, idempotencyKey: string): Promise<Order | null> {
    // Asked for every checkout that failed, and at peak nearly all are refusals whose key names
    // nothing: a plain probe first, the ORM's entity only for a key that names an order.
    const found = await this.dataSource.query<unknown[]>(
      'SELECT 1 FROM orders WHERE user_id = $1 AND idempotency_key = $2',
      [userId, idempotencyKey],
    );
    if (found.length === 0) return null;
    return this.dataSource.manager.findOneBy(Order, { userId, idempotencyKey });
  }

  private async ownOrder(userId: string, orderId: string): Promise<Order> {
    const order = await this.dataSource.manager.findOneBy(Order, { id: orderId, userId });
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }
}
