/** How often the loop is ticked, in ms: finer costs a timer more often, coarser misses spikes. */
const RESOLUTION_MS = 10;
/** How far back a tick still counts, in ms: a few of a gateway's answers, at tens of ms each. */
const MEMORY_MS = 100;

/**
 * How late this process's event loop has lately run what was due: about the time an answer that
 * arrived waits here before its callback runs. A busy process reads that wait in every call's
 * latency.
 *
 * Its own ticker, not `monitorEventLoopDelay`'s mean over a window it resets: an answer whose
 * callback runs in the same turn as the first timers after a busy spell may run before any
 * sampler, and must still see the spell. Here it does, either as the tick overdue now or in the
 * ticks recorded. A mean, not the longest: one short pause (a garbage collection) among many
 * ticks on time is not a busy loop.
 */
export class EventLoopDelay {
  private readonly ticker: NodeJS.Timeout;
  private lastTickAt = Date.now();
  /** The ticks within the last MEMORY_MS, oldest first: [when, how late in ms]. */
  private ticks: [number, number][] = [];

  constructor() {
    this.ticker = setInterval(() => this.tick(), RESOLUTION_MS).unref();
  }

  /** How late the loop ran on average within the last MEMORY_MS, or a tick overdue now if more. */
  recentMs(): number {
    const now = Date.now();
    const overdue = Math.max(0, now - this.lastTickAt - RESOLUTION_MS);
    const recent = this.ticks.filter(([at]) => now - at <= MEMORY_MS);
    const mean = recent.reduce((sum, [, late]) => sum + late, 0) / Math.max(1, recent.length);
    return Math.max(overdue, mean);
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  private tick(): void {
    const now = Date.now();
    this.ticks.push([now, Math.max(0, now - this.lastTickAt - RESOLUTION_MS)]);
    this.lastTickAt = now;
    while (this.ticks.length > 0 && now - this.ticks[0][0] > MEMORY_MS) this.ticks.shift();
  }
}
