import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { OrderStatus } from './order-state';

export type TimelineEntryType = 'PLACED' | OrderStatus;

/** The order's history as the shopper reads it: the read model kept from its events. */
@Entity('order_timeline')
export class TimelineEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: TimelineEntryType;

  @Column('jsonb')
  detail!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  at!: Date;
}
