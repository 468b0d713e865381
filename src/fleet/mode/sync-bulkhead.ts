import { bulkhead, BulkheadPolicy, BulkheadRejectedError } from 'cockatiel';
import { DomainError } from '../../runtime/domain-error';

export interface SyncBulkheadLimits {
  maxInFlight: number;
  queueLength: number;
  queueWaitMs: number;
}

/** A sync checkout turned away before anything was written: the shopper may simply retry. */
export class PaymentCapacityExhaustedError extends DomainError {
  constructor(limits: SyncBulkheadLimits) {
    const seconds = Math.max(1, Math.ceil(limits.queueWaitMs / 1000));
    super(
      'unavailable',
      `Payment capacity is exhausted: ${limits.maxInFlight} checkouts are paying on this ` +
        `instance and none finished within ${limits.queueWaitMs} ms. Nothing was ordered or ` +
        `charged and your cart is as it was; retry in ${seconds} seconds.`,
      undefined,
      seconds,
    );
  }
}

/**
 * At most `maxInFlight` sync checkouts run at once (cockatiel's bulkhead); up to `queueLength`
 * more wait, each at most `queueWaitMs`, and the rest are refused with
 * PaymentCapacityExhaustedError before their work starts. Plain TypeScript, no framework.
 */
export class SyncBulkhead {
  private readonly policy: BulkheadPolicy;
  private running = 0;
  private waiting = 0;

  constructor(
    private readonly limits: SyncBulkheadLimits,
    private readonly changed: () => void = () => undefined,
  ) {
    this.policy = bulkhead(limits.maxInFlight, limits.queueLength);
  }

  /** Checkouts running now. */
  inUse(): number {
    return this.running;
  }

  /** Checkouts waiting for a slot now. */
  queued(): number {
    return this.waiting;
  }

  /** Runs `work` in a slot, or throws PaymentCapacityExhaustedError without running it. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    // A queued checkout that gave up keeps its place in cockatiel's queue until a slot frees
    // (only then is its aborted signal seen), so the queue may look full early while every
    // slot is held: a refusal then, but never work run for a caller already answered.
    if (this.policy.executionSlots === 0 && this.policy.queueSlots === 0) {
      throw new PaymentCapacityExhaustedError(this.limits);
    }
    const abandon = new AbortController();
    let started = false;
    let queued = false;
    let deadline: NodeJS.Timeout | undefined;
    const admitted = this.policy.execute(async () => {
      started = true;
      clearTimeout(deadline);
      if (queued) leaveQueue();
      this.running += 1;
      this.changed();
      try {
        return await work();
      } finally {
        this.running -= 1;
        this.changed();
      }
    }, abandon.signal);
    if (started) return admitted;
    queued = true;
    let left = false;
    const leaveQueue = () => {
      if (left) return;
      left = true;
      this.waiting -= 1;
      this.changed();
    };
    // Between a slot freeing and the queued checkout taking it a newcomer may take it, and the
    // checkout is queued again, or refused if the queue filled meanwhile: a refusal like any.
    const refusedLate = admitted.catch((error: unknown) => {
      if (!(error instanceof BulkheadRejectedError) || started) throw error;
      clearTimeout(deadline);
      leaveQueue();
      throw new PaymentCapacityExhaustedError(this.limits);
    });
    this.waiting += 1;
    this.changed();
    // Cockatiel checks a queued checkout's signal and starts its work in one step, so a deadline
    // that finds the work not started can give up on it: it will never run.
    const givenUp = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => {
        if (started) return;
        abandon.abort();
        leaveQueue();
        reject(new PaymentCapacityExhaustedError(this.limits));
      }, this.limits.queueWaitMs);
    });
    return Promise.race([refusedLate, givenUp]);
  }
}
