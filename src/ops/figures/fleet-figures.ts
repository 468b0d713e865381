import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DatabaseOutage } from '../../database/database-outage';
import { DeadLetters } from '../../messaging/dead-letters/dead-letters';
import { ConsumerLag, KafkaReading } from '../../messaging/kafka/consumer-lag';
import { Outbox } from '../../messaging/outbox/outbox';
import { PaymentBacklog } from '../../modules/order';
import { CircuitStatus } from '../../modules/payment';
import { every, Repeating } from '../../runtime/every';
import { Backpressure } from '../../messaging/kafka/backpressure';
import { CheckoutModeService } from '../../fleet/mode/checkout-mode.service';
import { CheckoutMode, ModeSetting } from '../../fleet/mode/checkout-mode';
import { InstanceReport } from './instance-report.entity';
import { REPORT_EVERY_MS } from './instance-reporter';

/** The chart's window: ten minutes of one point a second. */
export const HISTORY_SECONDS = 600;
/** An instance whose last report is older than this has stopped or hangs: it is left out. */
const FRESH_REPORT_MS = 3 * REPORT_EVERY_MS;

export type KafkaFigures =
  ({ configured: false } & Partial<KafkaReading>) | ({ configured: true } & KafkaReading);

/** The fleet's figures at one moment: what the admin console shows. */
export interface FleetSnapshot {
  at: Date;
  mode: ModeSetting;
  /** The mode the instance that answers accepts orders in (auto mode's choice). */
  effectiveMode: CheckoutMode;
  maxInFlight: number;
  acceptedPerSecond: number;
  completedPerSecond: number;
  /** The worst API instance's p95 over the last 10 s; null when no order was accepted. */
  acceptP95Ms: number | null;
  /** Authorizations under way in all workers. */
  permitsInUse: number;
  /** Permits of all workers together (each its limit in force, at most MAX_IN_FLIGHT). */
  permitLimit: number;
  /** Sync checkouts running in the API instances' bulkheads, waiting for a slot, and the limit. */
  syncInUse: number;
  syncQueued: number;
  syncLimit: number;
  /** The worst of the instances' circuits to the payment gateway. */
  gatewayCircuit: CircuitStatus;
  waitingForPayment: number;
  stuckOrders: number;
  needingAttention: number;
  outboxBacklog: number;
  deadLetters: number;
  kafka: KafkaFigures;
  instances: InstanceReport[];
}

/** One point of the chart. */
export type FiguresPoint = Pick<
  FleetSnapshot,
  | 'at'
  | 'acceptedPerSecond'
  | 'completedPerSecond'
  | 'acceptP95Ms'
  | 'waitingForPayment'
  | 'permitsInUse'
  | 'outboxBacklog'
> & { consumerLag: number | null };

/**
 * Adds up the instances' reports and the database's backlogs into the fleet's figures, once
 * a second on API instances, and keeps the last ten minutes of them for the console's chart.
 */
@Injectable()
export class FleetFigures implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly points: FiguresPoint[] = [];
  private latest: FleetSnapshot | null = null;
  private sampling: Repeating | null = null;

  constructor(
    @InjectRepository(InstanceReport) private readonly reports: Repository<InstanceReport>,
    private readonly backlog: PaymentBacklog,
    private readonly outbox: Outbox,
    private readonly deadLetters: DeadLetters,
    private readonly lag: ConsumerLag,
    private readonly modes: CheckoutModeService,
    private readonly backpressure: Backpressure,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outage: DatabaseOutage,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(FleetFigures.name);
  }

  onApplicationBootstrap(): void {
    if (!this.config.roles.api) return;
    this.sampling = every(
      REPORT_EVERY_MS,
      () => this.sample(),
      (error) => {
        if (!this.outage.explains(error)) {
          this.logger.warn({ error: String(error) }, 'could not sample the fleet figures');
        }
      },
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sampling?.stop();
  }

  /** The figures of the last second (measured now if the last sample is older). */
  async now(): Promise<FleetSnapshot> {
    const latest = this.latest;
    if (latest && Date.now() - latest.at.getTime() < 1.5 * REPORT_EVERY_MS) return latest;
    return this.measure();
  }

  /** The points of the last `seconds`, oldest first. */
  history(seconds = HISTORY_SECONDS): FiguresPoint[] {
    return this.points.slice(-seconds);
  }

  private async sample(): Promise<void> {
    const snapshot = await this.measure();
    this.latest = snapshot;
    this.points.push({
      at: snapshot.at,
      acceptedPerSecond: snapshot.acceptedPerSecond,
      completedPerSecond: snapshot.completedPerSecond,
      acceptP95Ms: snapshot.acceptP95Ms,
      waitingForPayment: snapshot.waitingForPayment,
      permitsInUse: snapshot.permitsInUse,
      outboxBacklog: snapshot.outboxBacklog,
      consumerLag: snapshot.kafka.consumerLag ?? null,
    });
    if (this.points.length > HISTORY_SECONDS)
      this.points.splice(0, this.points.length - HISTORY_SECONDS);
  }

  private async measure(): Promise<FleetSnapshot> {
    const [instances, backlog, outboxBacklog, deadLetters] = await Promise.all([
      this.reports
        .createQueryBuilder('report')
        .where(`report.reported_at > now() - make_interval(secs => :seconds)`, {
          seconds: FRESH_REPORT_MS / 1000,
        })
        .orderBy('report.instance')
        .getMany(),
      this.backlog.counts(),
      this.outbox.unpublished(),
      this.deadLetters.waiting(),
    ]);
    const sum = (pick: (report: InstanceReport) => number): number =>
      instances.reduce((total, report) => total + pick(report), 0);
    const p95s = instances.flatMap((report) => report.acceptP95Ms ?? []);
    const { mode, effective } = this.modes.current();
    return {
      at: new Date(),
      mode,
      effectiveMode: effective,
      maxInFlight: this.backpressure.current().maxInFlight,
      acceptedPerSecond: sum((report) => report.acceptedPerSecond),
      completedPerSecond: sum((report) => report.completedPerSecond),
      acceptP95Ms: p95s.length > 0 ? Math.max(...p95s) : null,
      permitsInUse: sum((report) => report.permitsInUse),
      permitLimit: sum((report) => report.permitLimit),
      syncInUse: sum((report) => report.syncInUse),
      syncQueued: sum((report) => report.syncQueued),
      syncLimit: sum((report) => report.syncLimit),
      gatewayCircuit: worstCircuit(instances.map((report) => report.gatewayCircuit)),
      waitingForPayment: backlog.waiting,
      stuckOrders: backlog.stuck,
      needingAttention: backlog.needingAttention,
      outboxBacklog,
      deadLetters,
      kafka: this.config.kafka
        ? { configured: true, ...this.lag.reading() }
        : { configured: false },
      instances,
    };
  }
}

const CIRCUITS: CircuitStatus[] = ['closed', 'half-open', 'open'];

function worstCircuit(circuits: string[]): CircuitStatus {
  return CIRCUITS[
    Math.max(0, ...circuits.map((circuit) => CIRCUITS.indexOf(circuit as CircuitStatus)))
  ];
}
