import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PaymentRecords } from '../payment';
import { OrderView, TimelineEntryView } from './dto/order.view';
import { Order, OrderLine, TimelineEntry } from './order.entities';
import { OrderNotFoundError } from './order.errors';

/** What a shopper may read of their orders; another shopper's order does not exist for them. */
@Injectable()
export class OrderQueries {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly payments: PaymentRecords,
  ) {}

  async view(userId: string, orderId: string): Promise<OrderView> {
    const order = await this.ownOrder(userId, orderId);
    const lines = await this.dataSource.manager.find(OrderLine, {
      where: { orderId },
      order: { sku: 'ASC' },
    });
    const base = `/orders/${order.id}`;
    return {
      id: order.id,
      status: order.status,
      mode: order.mode,
      amountCents: order.amountCents,
      currency: order.currency,
      lines: lines.map(({ sku, name, unitPriceCents, quantity }) => ({
        sku,
        name,
        unitPriceCents,
        quantity,
      })),
      failureReason: order.failureReason,
      payment: await this.payments.latestFor(order.id),
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
      links: { self: base, timeline: `${base}/timeline`, events: `${base}/events` },
    };
  }

  async timeline(userId: string, orderId: string): Promise<TimelineEntryView[]> {
    await this.ownOrder(userId, orderId);
    const entries = await this.dataSource.manager.find(TimelineEntry, {
      where: { orderId },
      order: { id: 'ASC' },
    });
    return entries.map(({ type, detail, at }) => ({ type, detail, at }));
  }

  async findByKey(userId: string, idempotencyKey: string): Promise<Order | null> {
    return this.dataSource.manager.findOneBy(Order, { userId, idempotencyKey });
  }

  private async ownOrder(userId: string, orderId: string): Promise<Order> {
    const order = await this.dataSource.manager.findOneBy(Order, { id: orderId, userId });
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }
}
