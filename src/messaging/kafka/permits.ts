/**
 * A semaphore whose size an admin can change while permits are held: lowering it takes effect
 * as holders release, raising it frees room at once. It never queues: a taker that finds no
 * permit is told so and waits for `whenFree` (the consumer pauses fetching meanwhile).
 */
export class Permits {
  private held = 0;
  private readonly waiting = new Set<() => void>();

  constructor(private size: number) {}

  tryTake(): boolean {
    if (this.held >= this.size) return false;
    this.held += 1;
    return true;
  }

  give(): void {
    this.held -= 1;
    this.announce();
  }

  resize(size: number): void {
    this.size = size;
    this.announce();
  }

  inUse(): number {
    return this.held;
  }

  limit(): number {
    return this.size;
  }

  /** Calls `listener` once, the next time a permit may be free. */
  whenFree(listener: () => void): void {
    this.waiting.add(listener);
    this.announce();
  }

  private announce(): void {
    if (this.held >= this.size) return;
    const listeners = [...this.waiting];
    this.waiting.clear();
    // One listener failing must not drop the others: they would wait for good.
    const failures: unknown[] = [];
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}
