import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One shopper retry of a failed payment, under its own idempotency key. */
@Entity('payment_retries')
export class PaymentRetry {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  @Column('integer')
  attempt!: number;

  @Column('char', { name: 'request_hash', length: 64 })
  requestHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
