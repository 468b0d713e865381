/**
 * Work for one key runs after the work before it for that key, and work for other keys runs
 * alongside: the order of one order's messages is kept while different orders run in
 * parallel.
 */
export class KeyLanes {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, work: () => Promise<void>): Promise<void> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }

  /** Keys with work running or waiting. */
  busy(): number {
    return this.tails.size;
  }
}
