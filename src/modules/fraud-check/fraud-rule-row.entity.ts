import { Column, Entity, PrimaryColumn } from 'typeorm';
import { FraudRule, RuleAction } from './fraud-rules';

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
