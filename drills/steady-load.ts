import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Answer, placeOrder } from '../bench/load';

/** One shopper's order as the load generator saw it: when it was due, and its answer. */
export interface Arrival extends Answer {
  /** Epoch milliseconds at which the shopper was due to arrive. */
  dueAt: number;
  /** The API instance asked. */
  url: string;
}

/**
 * Shoppers arriving at a steady rate, spread over the API instances in turn, each placing one
 * order from a cart filled beforehand, until stopped or out of shoppers. Open loop: a slow or
 * failing instance does not slow the arrivals.
 */
export class SteadyLoad {
  readonly arrivals: Arrival[] = [];
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;
  private running: Promise<void> | null = null;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 512 });

  constructor(
    private readonly urls: () => string[],
    private readonly shoppers: readonly string[],
    private readonly perSecond: number,
    private readonly timeoutMs: number,
    /** Told of each order accepted, as it is answered (the stream drill follows them). */
    private readonly onAccepted: (arrival: Arrival) => void = () => undefined,
  ) {}

  start(): void {
    this.running = this.offer();
  }

  /** Stops new arrivals and waits for the answers still out. */
  async stop(): Promise<Arrival[]> {
    this.stopped = true;
    await this.running;
    await Promise.all(this.pending);
    this.agent.destroy();
    return this.arrivals;
  }

  private async offer(): Promise<void> {
    const started = Date.now();
    for (const [index, shopper] of this.shoppers.entries()) {
      if (this.stopped) return;
      const dueAt = started + (index * 1000) / this.perSecond;
      const wait = dueAt - Date.now();
      if (wait > 1) await sleep(wait);
      if (this.stopped) return;
      const urls = this.urls();
      const url = urls[index % urls.length];
      const due = performance.now() - (Date.now() - dueAt);
      const answered = placeOrder({ url, timeoutMs: this.timeoutMs }, this.agent, shopper, due)
        .then((answer) => {
          const arrival = { ...answer, dueAt, url };
          this.arrivals.push(arrival);
          if (answer.outcome === 'accepted') this.onAccepted(arrival);
        })
        .finally(() => this.pending.delete(answered));
      this.pending.add(answered);
    }
  }
}
