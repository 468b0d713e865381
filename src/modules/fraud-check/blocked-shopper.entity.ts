import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('fraud_blocklist')
export class BlockedShopper {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @Column('text')
  reason!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
