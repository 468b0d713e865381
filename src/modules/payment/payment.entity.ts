import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { PaymentOutcome } from './payment.contracts';

/** One payment attempt of an order; (order, attempt) is unique, so it is recorded once. */
@Entity('payments')
export class Payment {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column('integer')
  attempt!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: PaymentOutcome;

  @Column('integer', { name: 'amount_cents' })
  amountCents!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column({ name: 'gateway_reference', type: 'varchar', length: 64, nullable: true })
  gatewayReference!: string | null;

  @Column('integer', { name: 'gateway_calls' })
  gatewayCalls!: number;

  @Column('jsonb')
  reasons!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
