import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { FraudVerdict } from './fraud-rules';

/** Every decision with its reasons: the audit trail, and the window the velocity rule counts. */
@Entity('fraud_decisions')
export class FraudDecision {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @Column({ type: 'varchar', length: 8 })
  decision!: FraudVerdict;

  @Column('jsonb')
  reasons!: string[];

  @Column('integer', { name: 'amount_cents' })
  amountCents!: number;

  @CreateDateColumn({ name: 'decided_at', type: 'timestamptz' })
  decidedAt!: Date;
}
