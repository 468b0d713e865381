import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { CheckoutLoad } from './auto-mode-policy';

/**
 * What the sync path of this instance bears: sync checkouts waiting for their payment, and
 * how long the gateway has taken lately (p95 over AUTO_LATENCY_WINDOW_MS). Auto mode reads it.
 */
@Injectable()
export class CheckoutLoadMeter {
  private syncInFlight = 0;
  private samples: { at: number; ms: number }[] = [];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Counts a sync checkout while `work` runs. */
  async duringSyncCheckout<T>(work: () => Promise<T>): Promise<T> {
    this.syncInFlight += 1;
    try {
      return await work();
    } finally {
      this.syncInFlight -= 1;
    }
  }

  gatewayCallTook(ms: number): void {
    this.samples.push({ at: Date.now(), ms });
  }

  now(): CheckoutLoad {
    const since = Date.now() - this.config.autoMode.latencyWindowMs;
    this.samples = this.samples.filter((sample) => sample.at >= since);
    const sorted = this.samples.map((sample) => sample.ms).sort((a, b) => a - b);
    const gatewayP95Ms = sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]
      : null;
    return { syncInFlight: this.syncInFlight, gatewayP95Ms };
  }
}
