import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Metrics } from '../../runtime/metrics/metric-names';
import { CheckoutLoad } from './auto-mode-policy';
import { PaymentCapacityExhaustedError, SyncBulkhead } from './sync-bulkhead';

/** Why a sync checkout was turned away before its order was written. */
export type SyncRefusal = 'capacity' | 'circuit_open';

/**
 * What the sync path of this instance bears: sync checkouts under way (running in the
 * bulkhead or waiting for a slot), those refused lately, and how long the gateway has taken
 * lately (p95 over AUTO_LATENCY_WINDOW_MS). Auto mode reads it.
 */
@Injectable()
export class CheckoutLoadMeter {
  private syncInFlight = 0;
  private samples: { at: number; ms: number }[] = [];
  private refusals: number[] = [];
  private readonly bulkhead: SyncBulkhead;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectMetric(Metrics.syncBulkheadInUse) inUse: Gauge,
    @InjectMetric(Metrics.syncBulkheadQueued) queued: Gauge,
    @InjectMetric(Metrics.syncRefused) private readonly refused: Counter<'reason'>,
  ) {
    this.bulkhead = new SyncBulkhead(config.syncCheckout, () => {
      inUse.set(this.bulkhead.inUse());
      queued.set(this.bulkhead.queued());
    });
  }

  /**
   * Runs a sync checkout in the bulkhead (SYNC_MAX_IN_FLIGHT at once), counted while it waits
   * and runs. Throws PaymentCapacityExhaustedError, `work` never started, when no slot frees
   * within SYNC_QUEUE_WAIT_MS.
   */
  async duringSyncCheckout<T>(work: () => Promise<T>): Promise<T> {
    this.syncInFlight += 1;
    try {
      return await this.bulkhead.run(work);
    } catch (error) {
      if (error instanceof PaymentCapacityExhaustedError) this.refusedFor('capacity');
      throw error;
    } finally {
      this.syncInFlight -= 1;
    }
  }

  /** Counts a sync checkout turned away; auto mode takes it as a reason to go async. */
  refusedFor(reason: SyncRefusal): void {
    this.refused.inc({ reason });
    this.refusals.push(Date.now());
  }

  /** The bulkhead now: checkouts running, waiting, and the most that may run. */
  syncCheckouts(): { inUse: number; queued: number; limit: number } {
    return {
      inUse: this.bulkhead.inUse(),
      queued: this.bulkhead.queued(),
      limit: this.config.syncCheckout.maxInFlight,
    };
  }

  gatewayCallTook(ms: number): void {
    this.samples.push({ at: Date.now(), ms });
  }

  now(): CheckoutLoad {
    const since = Date.now() - this.config.autoMode.latencyWindowMs;
    this.samples = this.samples.filter((sample) => sample.at >= since);
    this.refusals = this.refusals.filter((at) => at >= since);
    const sorted = this.samples.map((sample) => sample.ms).sort((a, b) => a - b);
    const gatewayP95Ms = sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]
      : null;
    return { syncInFlight: this.syncInFlight, syncRefused: this.refusals.length, gatewayP95Ms };
  }
}
