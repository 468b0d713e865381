import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { HISTORY_SECONDS } from '../figures/fleet-figures';

const CIRCUIT_STATES = ['closed', 'half-open', 'open'];
import { CHECKOUT_MODES, MODE_SETTINGS } from '../../fleet/mode/checkout-mode';

export class InstanceFiguresView {
  @ApiProperty({ example: 'api-1:3000' }) instance!: string;
  @ApiProperty({ example: 'api,worker' }) roles!: string;
  @ApiProperty({ enum: CHECKOUT_MODES }) effectiveMode!: string;
  @ApiProperty() acceptedPerSecond!: number;
  @ApiProperty() completedPerSecond!: number;
  @ApiProperty({ nullable: true, type: Number }) acceptP95Ms!: number | null;
  @ApiProperty() permitsInUse!: number;
  @ApiProperty({
    description: 'Its permits: its limit in force (0 on an API-only instance).',
  })
  permitLimit!: number;
  @ApiProperty({ description: 'Sync checkouts running in its bulkhead.' }) syncInUse!: number;
  @ApiProperty({ description: 'Sync checkouts waiting for a slot.' }) syncQueued!: number;
  @ApiProperty({ description: 'SYNC_MAX_IN_FLIGHT (0 on a worker-only instance).' })
  syncLimit!: number;
  @ApiProperty({ enum: CIRCUIT_STATES, description: 'Its circuit to the payment gateway.' })
  gatewayCircuit!: string;
  @ApiProperty() reportedAt!: Date;
}

export class KafkaFiguresView {
  @ApiProperty({ description: 'False when KAFKA_BROKERS is not set (sync mode only).' })
  configured!: boolean;
  @ApiProperty({ required: false, description: 'Whether the brokers answered in the last 5 s.' })
  reachable?: boolean;
  @ApiProperty({
    required: false,
    nullable: true,
    type: Number,
    description: "Records of the app's topics the workers have not committed yet.",
  })
  consumerLag?: number | null;
  @ApiProperty({ required: false, nullable: true, type: Date }) checkedAt?: Date | null;
  @ApiProperty({ required: false, nullable: true, type: String }) error?: string | null;
}

export class FiguresView {
  @ApiProperty() at!: Date;
  @ApiProperty({ enum: MODE_SETTINGS }) mode!: string;
  @ApiProperty({ enum: CHECKOUT_MODES, description: 'The mode the answering instance uses now.' })
  effectiveMode!: string;
  @ApiProperty({ description: "Backpressure: the admin's ceiling on each worker's permits." })
  maxInFlight!: number;
  @ApiProperty({ description: 'Orders accepted (201/202) per second, all API instances.' })
  acceptedPerSecond!: number;
  @ApiProperty({ description: 'Orders that reached a final status per second.' })
  completedPerSecond!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "Accept latency p95 over the last 10 s (the worst API instance's).",
  })
  acceptP95Ms!: number | null;
  @ApiProperty({ description: 'Authorizations under way in all workers.' }) permitsInUse!: number;
  @ApiProperty({ description: 'Permits of all workers together: their limits in force.' })
  permitLimit!: number;
  @ApiProperty({ description: 'Sync checkouts running, all API instances.' }) syncInUse!: number;
  @ApiProperty({ description: 'Sync checkouts waiting for a slot of the bulkhead.' })
  syncQueued!: number;
  @ApiProperty({ description: 'Sync checkouts that may run at once, all API instances.' })
  syncLimit!: number;
  @ApiProperty({
    enum: CIRCUIT_STATES,
    description: "The worst instance's circuit to the payment gateway.",
  })
  gatewayCircuit!: string;
  @ApiProperty() waitingForPayment!: number;
  @ApiProperty({ description: 'As GET /admin/stuck-orders lists them.' }) stuckOrders!: number;
  @ApiProperty({ description: 'Stuck orders the watchdog gave up on.' }) needingAttention!: number;
  @ApiProperty({ description: 'Messages not yet published to Kafka.' }) outboxBacklog!: number;
  @ApiProperty({ description: 'Dead letters waiting for a replay.' }) deadLetters!: number;
  @ApiProperty({ type: KafkaFiguresView }) kafka!: KafkaFiguresView;
  @ApiProperty({
    type: [InstanceFiguresView],
    description: 'Instances that reported in the last 3 s.',
  })
  instances!: InstanceFiguresView[];
}

export class FiguresPointView {
  @ApiProperty() at!: Date;
  @ApiProperty() acceptedPerSecond!: number;
  @ApiProperty() completedPerSecond!: number;
  @ApiProperty({ nullable: true, type: Number }) acceptP95Ms!: number | null;
  @ApiProperty() waitingForPayment!: number;
  @ApiProperty() permitsInUse!: number;
  @ApiProperty() outboxBacklog!: number;
  @ApiProperty({ nullable: true, type: Number }) consumerLag!: number | null;
}

export class FiguresHistoryQuery {
  @ApiProperty({
    type: 'integer',
    required: false,
    default: HISTORY_SECONDS,
    minimum: 1,
    maximum: HISTORY_SECONDS,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'seconds must be a whole number' })
  @Min(1, { message: 'seconds must be at least 1' })
  @Max(HISTORY_SECONDS, { message: `seconds must be at most ${HISTORY_SECONDS}` })
  seconds = HISTORY_SECONDS;
}
