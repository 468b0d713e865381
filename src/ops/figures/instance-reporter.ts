import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Counter, Summary } from 'prom-client';
import { Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DatabaseOutage } from '../../database/database-outage';
import { InstanceAddress } from '../../http/instance-address';
import { Topics } from '../../messaging/topics';
import { GatewayGuard } from '../../modules/payment';
import { every, Repeating } from '../../runtime/every';
import { Backpressure } from '../../messaging/kafka/backpressure';
import { Metrics } from '../../runtime/metrics/metric-names';
import { CheckoutLoadMeter } from '../../fleet/mode/checkout-load-meter';
import { CheckoutModeService } from '../../fleet/mode/checkout-mode.service';
import { InstanceReport } from './instance-report.entity';

export const REPORT_EVERY_MS = 1000;

/**
 * Every second, writes what this instance did in the last one (orders accepted and completed,
 * accept p95, permits held, sync checkouts in the bulkhead, the gateway's circuit) to
 * `instance_reports`, so any API instance can add up the fleet.
 */
@Injectable()
export class InstanceReporter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private reporting: Repeating | null = null;
  private previous: { at: number; accepted: number; completed: number } | null = null;

  constructor(
    @InjectRepository(InstanceReport) private readonly reports: Repository<InstanceReport>,
    private readonly address: InstanceAddress,
    private readonly modes: CheckoutModeService,
    private readonly backpressure: Backpressure,
    private readonly load: CheckoutLoadMeter,
    private readonly gateway: GatewayGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outage: DatabaseOutage,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.acceptRecentSeconds) private readonly accepts: Summary,
    @InjectMetric(Metrics.ordersSettled) private readonly settled: Counter<'status'>,
  ) {
    this.logger.setContext(InstanceReporter.name);
  }

  onApplicationBootstrap(): void {
    this.reporting = every(
      REPORT_EVERY_MS,
      () => this.report(),
      (error) => {
        if (!this.outage.explains(error)) {
          this.logger.warn({ error: String(error) }, 'could not report instance figures');
        }
      },
    );
  }

  /** Leaves the fleet's figures at once rather than when the report goes stale. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.reporting?.stop();
    const instance = this.address.name();
    if (instance) await this.reports.delete({ instance }).catch(() => undefined);
  }

  private async report(): Promise<void> {
    const instance = this.address.name();
    if (!instance) return;
    const { roles } = this.config;
    const [accepts, settled] = await Promise.all([this.accepts.get(), this.settled.get()]);
    const now = { at: Date.now(), accepted: 0, completed: 0 };
    let acceptP95: number | null = null;
    for (const value of accepts.values) {
      if (value.metricName === `${Metrics.acceptRecentSeconds}_count`) now.accepted = value.value;
      // An empty window reads 0: no order was accepted in the last 10 s.
      if (value.labels.quantile === 0.95 && value.value > 0) acceptP95 = value.value;
    }
    now.completed = settled.values.reduce((sum, value) => sum + value.value, 0);
    const last = this.previous ?? now;
    this.previous = now;
    const seconds = Math.max((now.at - last.at) / 1000, 0.001);
    const permits = this.backpressure.permitsFor(Topics.paymentOrder);
    const sync = this.load.syncCheckouts();
    await this.reports.upsert(
      {
        instance,
        roles: [roles.api && 'api', roles.worker && 'worker'].filter(Boolean).join(','),
        effectiveMode: this.modes.mode(),
        acceptedPerSecond: (now.accepted - last.accepted) / seconds,
        completedPerSecond: (now.completed - last.completed) / seconds,
        acceptP95Ms: acceptP95 === null ? null : acceptP95 * 1000,
        permitsInUse: roles.worker ? permits.inUse() : 0,
        permitLimit: roles.worker ? permits.limit() : 0,
        syncInUse: sync.inUse,
        syncQueued: sync.queued,
        syncLimit: roles.api ? sync.limit : 0,
        gatewayCircuit: this.gateway.state(),
        reportedAt: () => 'now()',
      },
      ['instance'],
    );
  }
}
