/** One call's outcome, as the limit learns from it. Times in milliseconds since the epoch. */
export interface CallOutcome {
  startedAt: number;
  endedAt: number;
  /** Calls in flight when this one started, itself included. */
  inFlight: number;
  /** The downstream could not take it (overloaded, unavailable, timed out). */
  dropped: boolean;
  /** How late this process's own event loop ran lately, in ms: a wait the answer shared. */
  ownDelayMs?: number;
}

/**
 * Recent calls slower than this many times the no-load latency say the downstream queues
 * (Netflix's Gradient2 uses the same default tolerance, 1.5).
 */
const LATENCY_TOLERANCE = 1.5;
/** A cut keeps this much of the limit: sharper than AIMD's 0.9, as cuts are rate-limited. */
const BACKOFF_RATIO = 0.7;
/** Weight of the newest latency in the recent average. */
const RECENT_WEIGHT = 0.2;
/** How fast the no-load latency drifts up toward what calls take (a slower downstream for good). */
const NO_LOAD_DRIFT = 0.01;
/** Below this, latency differences are timer and event-loop noise, not queueing. */
const NOISE_MS = 10;

/**
 * How many calls a downstream (the payment gateway) bears at once, learnt from the calls
 * themselves: additive increase while calls answer at about their no-load latency with the limit
 * nearly used, multiplicative decrease on a dropped call or on latency past tolerance, never
 * above the ceiling nor below 1.
 *
 * Source: Netflix's concurrency-limits (AIMDLimit: an increase on a good sample when in-flight
 * reaches half the limit, a cut on a drop; Gradient2Limit: recent against long-term latency as the
 * queueing signal). As in TCP congestion control, one burst cuts once: a cut waits a recent
 * latency after the last one, and ignores calls started before it (they met the old limit).
 * Unlike a JVM's threads, one Node process answers every call on one event loop: when it is busy,
 * answers wait for it. Their latency then says nothing of the gateway and is not learnt from, or
 * a worker busy settling would read its own load as the gateway's and cut the limit until the
 * limit, not the gateway, bounds it; drops still cut.
 */
export class AdaptiveLimit {
  private value: number;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  /** The recent latency when the limit was last cut: no new cut comes sooner after it. */
  private cutWindowMs = 0;
  private recentMs: number | null = null;
  private noLoadMs: number | null = null;

  constructor(private ceiling: number) {
    this.value = ceiling;
  }

  /** The limit in force: a whole number from 1 to the ceiling. */
  current(): number {
    return Math.max(1, Math.min(this.ceiling, Math.floor(this.value)));
  }

  ceilingOf(): number {
    return this.ceiling;
  }

  /**
   * A new ceiling caps the limit at once; a higher one is reached by probing, not a jump, unless
   * the limit does not adapt (then it is the ceiling).
   */
  setCeiling(ceiling: number, { adapting = true } = {}): void {
    this.ceiling = ceiling;
    this.value = adapting ? Math.min(this.value, ceiling) : ceiling;
  }

  /** Learns from one call; returns true when the limit in force changed. */
  learn(call: CallOutcome): boolean {
    const before = this.current();
    // The answer waited on this process: its latency is this process's load, not the gateway's.
    if (!call.dropped && (call.ownDelayMs ?? 0) > NOISE_MS) return false;
    const tookMs = Math.max(0, call.endedAt - call.startedAt);
    const recentMs =
      this.recentMs === null ? tookMs : this.recentMs + RECENT_WEIGHT * (tookMs - this.recentMs);
    this.recentMs = recentMs;
    if (call.dropped) {
      this.cut(call);
    } else {
      // The recent average, not the one call: a single slow answer is often just noise.
      if (recentMs > LATENCY_TOLERANCE * this.noLoadLatency(tookMs)) this.cut(call);
      // One more per limit's worth of good answers, i.e. about one per round trip (TCP's
      // congestion avoidance): one more per answer doubles the limit every round trip, and
      // overshoots a gateway that refuses past twice its capacity.
      else if (call.inFlight * 2 >= this.current())
        this.value = Math.min(this.ceiling, this.value + 1 / this.current());
    }
    return this.current() !== before;
  }

  /** The lowest latency seen, drifting slowly up toward what calls take now. */
  private noLoadLatency(tookMs: number): number {
    this.noLoadMs =
      this.noLoadMs === null || tookMs < this.noLoadMs
        ? tookMs
        : this.noLoadMs + NO_LOAD_DRIFT * (tookMs - this.noLoadMs);
    return Math.max(NOISE_MS, this.noLoadMs);
  }

  private cut({ startedAt, endedAt }: CallOutcome): void {
    if (startedAt < this.lastCutAt) return;
    if (endedAt - this.lastCutAt < this.cutWindowMs) return;
    this.value = Math.max(1, Math.floor(this.current() * BACKOFF_RATIO));
    this.lastCutAt = endedAt;
    // The average starts again under the new limit: carried over, the latencies of the old one
    // would cut the new one too, a round trip later.
    this.cutWindowMs = this.recentMs ?? 0;
    this.recentMs = null;
  }
}
