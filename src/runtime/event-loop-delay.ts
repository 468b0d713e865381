/** How often the loop is ticked, in ms: finer costs a timer more often, coarser misses spikes. */
const RESOLUTION_MS = 10;
/** How far back a late tick still counts, in ms: a few of a gateway's answers, at tens of ms each. */
const MEMORY_MS = 200;

/**
 * How late this process's event loop has lately run what was due: about the time an answer that
 * arrived waits here before its callback runs. A busy process reads that wait in every call's
 * latency.
 *
 * Its own ticker, not `monitorEventLoopDelay`'s mean over a window: an answer whose callback runs
 * in the same turn as the first timers after a busy spell may run before any sampler, and must
 * still see the spell. Here it does, either as the tick overdue now or as the late tick recorded.
 */
export class EventLoopDelay {
  private readonly ticker: NodeJS.Timeout;
  private lastTickAt = Date.now();
  /** The latest late ticks, newest last: [when, how late in ms]. */
  private late: [number, number][] = [];

  constructor() {
    this.ticker = setInterval(() => this.tick(), RESOLUTION_MS).unref();
  }

  /** The longest the loop ran late within the last MEMORY_MS, counting a tick overdue now. */
  recentMs(): number {
    const now = Date.now();
    const overdue = Math.max(0, now - this.lastTickAt - RESOLUTION_MS);
    const remembered = this.late.filter(([at]) => now - at <= MEMORY_MS).map(([, ms]) => ms);
    return Math.max(overdue, ...remembered);
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  private tick(): void {
    const now = Date.now();
    const lateMs = now - this.lastTickAt - RESOLUTION_MS;
    this.lastTickAt = now;
    if (lateMs > 0) this.late.push([now, lateMs]);
    while (this.late.length > 0 && now - this.late[0][0] > MEMORY_MS) this.late.shift();
  }
}
