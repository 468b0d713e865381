import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One instance's figures of its last second, as it reported them. */
@Entity('instance_reports')
export class InstanceReport {
  /** Host and port (InstanceAddress.name). */
  @PrimaryColumn({ type: 'varchar', length: 255 })
  instance!: string;

  /** `api`, `worker` or `api,worker`. */
  @Column({ type: 'varchar', length: 16 })
  roles!: string;

  @Column({ name: 'effective_mode', type: 'varchar', length: 8 })
  effectiveMode!: string;

  @Column('real', { name: 'accepted_per_second' })
  acceptedPerSecond!: number;

  @Column('real', { name: 'completed_per_second' })
  completedPerSecond!: number;

  /** p95 of the orders it accepted in the last 10 s; null when it accepted none. */
  @Column('real', { name: 'accept_p95_ms', nullable: true })
  acceptP95Ms!: number | null;

  @Column('integer', { name: 'permits_in_use' })
  permitsInUse!: number;

  @Column('integer', { name: 'permit_limit' })
  permitLimit!: number;

  @Column({ name: 'reported_at', type: 'timestamptz' })
  reportedAt!: Date;
}
