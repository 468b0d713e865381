import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter } from 'prom-client';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { Metrics } from '../../../runtime/metrics/metric-names';
import { TooManyStreamsError } from '../order.errors';

/**
 * How many order streams this instance keeps open, per shopper and in all: each holds a socket
 * and a file descriptor for as long as it lives, so a shopper (or a bot) opening streams
 * without end would run the instance out of both.
 */
@Injectable()
export class StreamLimits {
  private readonly perShopper = new Map<string, number>();
  private open = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectMetric(Metrics.streamsRefused) private readonly refused: Counter,
  ) {}

  /** Counts a new stream of `userId`, or refuses it; the function returned ends it. */
  admit(userId: string): () => void {
    const { maxPerShopper, maxPerInstance, retryMs } = this.config.sse;
    const theirs = this.perShopper.get(userId) ?? 0;
    if (theirs >= maxPerShopper || this.open >= maxPerInstance) {
      const limit = theirs >= maxPerShopper ? 'shopper' : 'instance';
      this.refused.inc({ limit });
      throw new TooManyStreamsError(
        limit,
        limit === 'shopper' ? maxPerShopper : maxPerInstance,
        retryMs,
      );
    }
    this.perShopper.set(userId, theirs + 1);
    this.open += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.open -= 1;
      const left = (this.perShopper.get(userId) ?? 1) - 1;
      if (left === 0) this.perShopper.delete(userId);
      else this.perShopper.set(userId, left);
    };
  }
}
