import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { FraudRule, FraudVerdict, RuleAction } from './fraud-rules';

/** A rule as stored: operators tune `params` and `enabled` in PostgreSQL, no deploy needed. */
@Entity('fraud_rules')
export class FraudRuleRow {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: FraudRule['kind'];

  @Column('jsonb')
  params!: FraudRule['params'];

  @Column({ type: 'varchar', length: 8 })
  action!: RuleAction;

  @Column('boolean')
  enabled!: boolean;
}

@Entity('fraud_blocklist')
export class BlockedShopper {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @Column('text')
  reason!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

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
