import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { CheckoutMode } from '../../fleet/mode/checkout-mode';
import { OrderStatus } from './order-state';

@Entity('orders')
export class Order {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @Column({ type: 'varchar', length: 32 })
  status!: OrderStatus;

  /** The mode the order was accepted in; it finishes in that mode. */
  @Column({ type: 'varchar', length: 8 })
  mode!: CheckoutMode;

  @Column('integer', { name: 'amount_cents' })
  amountCents!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column({ name: 'payment_token', type: 'varchar', length: 128 })
  paymentToken!: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  /** SHA-256 of the request body, to tell a replay from a different request under a used key. */
  @Column('char', { name: 'request_hash', length: 64 })
  requestHash!: string;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ name: 'payment_id', type: 'uuid', nullable: true })
  paymentId!: string | null;

  /** The payment attempt in force: 1, then one more per shopper retry. */
  @Column('integer', { name: 'payment_attempt', default: 1 })
  paymentAttempt!: number;

  /** While waiting for payment: when, with no result, it counts as lost and is re-driven. */
  @Column({ name: 'watch_until', type: 'timestamptz', nullable: true })
  watchUntil!: Date | null;

  @Column('integer', { default: 0 })
  redrives!: number;

  /** Set once re-driving gave up: a human has to look at it. */
  @Column({ name: 'needs_attention_at', type: 'timestamptz', nullable: true })
  needsAttentionAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
