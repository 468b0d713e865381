import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { ChannelName } from './notification-channel';

/** One notice on one channel; (order, channel, kind) is unique, so it is sent once. */
@Entity('notifications')
export class Notification {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @Column({ type: 'varchar', length: 8 })
  channel!: ChannelName;

  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Column('text')
  body!: string;

  @Column({ type: 'varchar', length: 8 })
  status!: 'PENDING' | 'SENT' | 'FAILED';

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}
