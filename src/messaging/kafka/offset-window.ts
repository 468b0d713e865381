/**
 * The records of one partition taken but not yet committed. Records finish in any order (a
 * slow payment does not hold back the others), but the offset committed is only ever the
 * contiguous watermark: the first record not yet done. So a crash replays from there, and
 * nothing past a record still running is ever marked consumed (Confluent's Parallel Consumer
 * commits the same way).
 */
export class OffsetWindow {
  private readonly taken: bigint[] = [];
  private readonly done = new Set<bigint>();
  private committable: bigint | null = null;

  /** Offsets must be taken in increasing order, as the partition delivers them. */
  take(offset: string): void {
    this.taken.push(BigInt(offset));
  }

  /**
   * Marks a record done; returns the offset to commit (the next one to read) when the
   * watermark moved, or null when a record before it is still running.
   */
  complete(offset: string): string | null {
    this.done.add(BigInt(offset));
    let moved = false;
    while (this.taken.length > 0 && this.done.has(this.taken[0])) {
      const head = this.taken.shift()!;
      this.done.delete(head);
      this.committable = head + 1n;
      moved = true;
    }
    return moved ? this.committable!.toString() : null;
  }

  /** Records taken and not yet done. */
  size(): number {
    return this.taken.length - this.done.size;
  }
}
