import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { Gauge } from 'prom-client';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { DatabaseOutage } from '../../../database/database-outage';
import { Metrics } from '../../../runtime/metrics/metric-names';
import { ShutdownDeadline } from '../../../runtime/shutdown-deadline';
import { CutOffPayments } from './cut-off-payments';
import { PaymentBacklog } from './payment-backlog';
import { PaymentRedrive } from './payment-redrive';
import { SettledHolds } from './settled-holds';

/**
 * Lost-message detection: every WATCHDOG_INTERVAL_MS, orders that waited for their payment
 * past their deadline (a sync order SYNC_LOSS_WINDOW_MS, an async one LOSS_WINDOW_MS) and are
 * lost, not late (see verdictOf), are re-driven, up to REDRIVE_LIMIT times, then flagged for a
 * human. Sync payments this process saw cut off by a database outage are made due as soon as
 * the database answers. Runs on every instance; the database hands each overdue order to one of
 * them. Orders decided whose result never reached the cart have their units and cart let go.
 */
@Injectable()
export class PaymentWatchdog implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private stopped: Promise<void> | null = null;
  private readonly stop = new AbortController();

  constructor(
    private readonly backlog: PaymentBacklog,
    private readonly redrive: PaymentRedrive,
    private readonly cutOff: CutOffPayments,
    private readonly settledHolds: SettledHolds,
    private readonly deadline: ShutdownDeadline,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outage: DatabaseOutage,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.ordersWaiting) private readonly waiting: Gauge,
    @InjectMetric(Metrics.ordersNeedingAttention) private readonly needingAttention: Gauge,
    @InjectMetric(Metrics.ordersLate) private readonly late: Gauge,
    @InjectMetric(Metrics.lateMessagesAhead) private readonly lateMessagesAhead: Gauge,
  ) {
    this.logger.setContext(PaymentWatchdog.name);
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.stopped = this.watch();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.stop.abort();
    // A sync payment it re-runs may take the gateway's timeouts; past the deadline it is cut,
    // and its new deadline brings it back on another instance.
    await this.deadline.waitFor(this.stopped!);
  }

  private async watch(): Promise<void> {
    while (this.running) {
      try {
        await this.cutOff.makeDue();
        await this.settledHolds.release();
        const { late } = await this.redrive.sweep();
        this.late.set(late.orders);
        this.lateMessagesAhead.set(late.mostAhead);
        await this.measure();
      } catch (error) {
        if (!this.outage.explains(error)) {
          this.logger.warn({ error: String(error) }, 'payment watchdog round failed');
        }
      }
      await sleep(this.config.watchdog.intervalMs, undefined, { signal: this.stop.signal }).catch(
        () => undefined,
      );
    }
  }

  private async measure(): Promise<void> {
    const counts = await this.backlog.counts();
    this.waiting.set(counts.waiting);
    this.needingAttention.set(counts.needingAttention);
  }
}
