import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** How often the delay is sampled, in ms: finer costs a timer more often, coarser misses spikes. */
const RESOLUTION_MS = 10;
/** The window each reading covers, in ms: a few of a gateway's answers, at tens of ms each. */
const WINDOW_MS = 100;

/**
 * How late this process's event loop has lately run what was due: about the time an answer that
 * arrived waits here before its callback runs. A busy process reads that wait in every call's
 * latency.
 */
export class EventLoopDelay {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({
    resolution: RESOLUTION_MS,
  });
  private readonly sampler: NodeJS.Timeout;
  private lastWindowMs = 0;

  constructor() {
    this.histogram.enable();
    this.sampler = setInterval(() => this.sample(), WINDOW_MS).unref();
  }

  /** The mean delay over the last window or the one under way, whichever is longer, in ms. */
  recentMs(): number {
    return Math.max(this.lastWindowMs, this.meanSoFar());
  }

  stop(): void {
    clearInterval(this.sampler);
    this.histogram.disable();
  }

  private sample(): void {
    this.lastWindowMs = this.meanSoFar();
    this.histogram.reset();
  }

  private meanSoFar(): number {
    // The histogram holds whole intervals between its timer's runs: the resolution plus the delay.
    if (this.histogram.count === 0) return 0;
    return Math.max(0, this.histogram.mean / 1e6 - RESOLUTION_MS);
  }
}
