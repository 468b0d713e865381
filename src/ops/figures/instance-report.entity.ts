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

  /** Sync checkouts running in its bulkhead (0 on a worker-only instance). */
  @Column('integer', { name: 'sync_in_use' })
  syncInUse!: number;

  /** Sync checkouts waiting for a slot of its bulkhead. */
  @Column('integer', { name: 'sync_queued' })
  syncQueued!: number;

  /** SYNC_MAX_IN_FLIGHT on an API instance, 0 on a worker-only one. */
  @Column('integer', { name: 'sync_limit' })
  syncLimit!: number;

  /** Its circuit to the payment gateway: `closed`, `half-open` or `open`. */
  @Column({ name: 'gateway_circuit', type: 'varchar', length: 16 })
  gatewayCircuit!: string;

  @Column({ name: 'reported_at', type: 'timestamptz' })
  reportedAt!: Date;
}
