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
  resolve(finished: Finished): void;
  reject(error: unknown): void;
}

/**
 * Units of work that arrive while the group's transaction runs wait for it, and run together
 * in the next one: at peak one BEGIN, one COMMIT and one flush of the log settle many messages,
 * and a unit alone runs at once. When a shared transaction fails, each of its units runs again
 * in a transaction of its own, so one unit's failure is its own and the others commit.
 */
export class TransactionGroup<Context, Finished> {
  private readonly waiting: Waiting<Context, Finished>[] = [];
  private running = false;

  constructor(
    private readonly transact: Transact<Context, Finished>,
    private readonly maxUnits: number,
  ) {}

  join(work: GroupedWork<Context, Finished>): Promise<Finished> {
    return new Promise<Finished>((resolve, reject) => {
      this.waiting.push({ work, resolve, reject });
      if (this.running) return;
      this.running = true;
      // Once the continuations now running have run: records a consumer took together join.
      setImmediate(() => void this.runWaiting());
    });
  }

  private async runWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      await this.runTogether(this.waiting.splice(0, this.maxUnits));
    }
    this.running = false;
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
