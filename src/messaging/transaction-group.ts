/** A unit of work as a group runs it, and what it ran to. */
export type GroupedWork<Context, Finished> = (context: Context, units: number) => Promise<Finished>;

/**
 * Runs `works` in one transaction, each with its own context: resolves with each one's result
 * once all committed, or rejects (nothing committed) when any failed.
 */
export type Transact<Context, Finished> = (
  works: GroupedWork<Context, Finished>[],
) => Promise<Finished[]>;

interface Waiting<Context, Finished> {
  work: GroupedWork<Context, Finished>;
  /** Units of one key never share a transaction. */
  key: string | undefined;
  resolve(finished: Finished): void;
  reject(error: unknown): void;
}

/**
 * Units of work that arrive while the group's transactions run wait for one to end, and run
 * together in the next one: at peak one BEGIN, one COMMIT and one flush of the log settle many
 * units, and a unit that finds a lane free runs at once. When a shared transaction fails, each of
 * its units runs again in a transaction of its own, so one unit's failure is its own and the
 * others commit.
 */
export class TransactionGroup<Context, Finished> {
  private waiting: Waiting<Context, Finished>[] = [];
  private running = 0;
  /** The keys of the units in the transactions running, one lane's or another's. */
  private readonly runningKeys = new Set<string>();

  /**
   * `lanes`: how many of the group's transactions run at once. With one, units of a group never
   * wait on each other's locks; with more, a unit waits for a lane less often, and units of
   * different transactions may wait on each other's locks as any two transactions do, but never
   * two of one key: a unit waits while one of its key runs in any lane.
   */
  constructor(
    private readonly transact: Transact<Context, Finished>,
    private readonly maxUnits: number,
    private readonly lanes = 1,
  ) {}

  /** `key`: a unit waits while one of its key runs, or waits ahead of it for this transaction. */
  join(work: GroupedWork<Context, Finished>, key?: string): Promise<Finished> {
    return new Promise<Finished>((resolve, reject) => {
      this.waiting.push({ work, key, resolve, reject });
      if (this.running === this.lanes) return;
      this.running += 1;
      // Once the continuations now running have run: records a consumer took together join.
      setImmediate(() => void this.runWaiting());
    });
  }

  /**
   * One lane: runs what waits until nothing does, or until all that waits has a key of another
   * lane's transaction; that lane takes it once its transaction ends.
   */
  private async runWaiting(): Promise<void> {
    for (;;) {
      const units = this.nextUnits();
      if (units.length === 0) break;
      const keys = units.flatMap((unit) => (unit.key === undefined ? [] : [unit.key]));
      keys.forEach((key) => this.runningKeys.add(key));
      try {
        await this.runTogether(units);
      } finally {
        keys.forEach((key) => this.runningKeys.delete(key));
      }
    }
    this.running -= 1;
  }

  /** The oldest units waiting, at most one of each key and none of a running key; the rest wait on. */
  private nextUnits(): Waiting<Context, Finished>[] {
    const keys = new Set<string>();
    const next: Waiting<Context, Finished>[] = [];
    const left: Waiting<Context, Finished>[] = [];
    for (const unit of this.waiting) {
      const apart =
        unit.key !== undefined && (keys.has(unit.key) || this.runningKeys.has(unit.key));
      if (apart || next.length === this.maxUnits) {
        left.push(unit);
        continue;
      }
      next.push(unit);
      if (unit.key !== undefined) keys.add(unit.key);
    }
    this.waiting = left;
    return next;
  }

  private async runTogether(units: Waiting<Context, Finished>[]): Promise<void> {
    if (units.length > 1) {
      try {
        const finished = await this.transact(units.map((unit) => unit.work));
        units.forEach((unit, at) => unit.resolve(finished[at]));
        return;
      } catch {
        // Whose failure it was, each unit alone tells.
      }
    }
    await Promise.all(
      units.map((unit) =>
        this.transact([unit.work]).then(([finished]) => unit.resolve(finished), unit.reject),
      ),
    );
  }
}
