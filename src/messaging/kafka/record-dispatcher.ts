import { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyLanes } from './key-lanes';
import { OffsetWindow } from './offset-window';
import { Permits } from './permits';

/** One record taken off a partition, for the transport to process. */
export interface TakenRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
  /** When it began to wait for a permit (none was free as its batch came), else null. */
  heldSince: number | null;
  /** When it took its permit (epoch ms). */
  tookPermitAt: number;
}

export interface DispatcherHooks {
  /** The permits a record of this (physical) topic holds while it runs. */
  permitsFor(topic: string): Permits;
  /** Takes a record to its end (handled or dead-lettered); throws only if it could not. */
  process(record: TakenRecord): Promise<void>;
  onPermitsChanged(topic: string, permits: Permits): void;
  onPausedChanged(topic: string, paused: number): void;
  onWaited(topic: string, seconds: number): void;
  onCommitFailed(error: unknown): void;
  onProcessFailed(record: TakenRecord, error: unknown): void;
}

/** What a drain left behind: records still running when its time ran out go back to Kafka. */
export interface DrainResult {
  finished: number;
  handedBack: number;
}

const RETRY_FAILED_PROCESSING_MS = 1000;

/** Records of one paused partition fetched and not yet taken, with how to resolve them. */
interface HeldRecords {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  resolveOffset: (offset: string) => void;
  /** Whether the consumer still runs, and the partition was not sought elsewhere. */
  isRunning: () => boolean;
  isStale: () => boolean;
  /** The assignment they were fetched under: a rebalance makes them another owner's. */
  generation: number;
  /** When the partition paused for them: each waits for a permit from then. */
  since: number;
}

/**
 * Runs the records a Kafka consumer fetches in parallel beyond one per partition: each record
 * takes a permit, records of one key run in order and records of different keys alongside, and
 * a partition commits only its contiguous watermark. With no permit free, the partition is
 * paused (the fetch loop, and with it the group heartbeat, keeps going) and the records of the
 * batch not yet taken are held; as permits free they are taken from there, and the partition
 * is resumed only once none is held. Fetched again instead, the rest of a batch (a hundred
 * records and more) was decoded anew for every record a freed permit let through, and every
 * paused partition fetched at each freed permit: at a slow gateway's pace the worker spent more
 * on fetching than on payments.
 *
 * kafkajs' own `partitionsConsumedConcurrently` stops at one record per partition, and its
 * eachMessage loop holds the heartbeat while a handler runs; this is why the transport feeds
 * batches here instead.
 */
export class RecordDispatcher {
  private readonly windows = new Map<string, OffsetWindow>();
  private readonly lanes = new KeyLanes();
  private readonly paused = new Map<string, { topic: string; partition: number }>();
  /** Per paused partition, the records fetched and not yet taken, oldest first. */
  private readonly held = new Map<string, HeldRecords>();
  private readonly running = new Set<Promise<void>>();
  private readonly pendingCommits = new Map<
    string,
    { topic: string; partition: number; offset: string }
  >();
  private committing: Promise<void> | null = null;
  private generation = 0;
  private draining = false;
  private drainedTopics: string[] = [];

  constructor(
    private readonly consumer: Consumer,
    private readonly hooks: DispatcherHooks,
  ) {}

  /** The consumer's eachBatch: takes what permits allow, holds the rest, and returns at once. */
  onBatch({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    // A fetch already under way when the partition paused: its records are held or come later.
    if (this.held.has(`${topic}/${partition}`)) return Promise.resolve();
    const permits = this.hooks.permitsFor(topic);
    const messages = [...batch.messages];
    while (messages.length > 0) {
      if (this.draining || !isRunning() || isStale()) break;
      if (!permits.tryTake()) {
        const held = { topic, partition, messages, resolveOffset, isRunning, isStale };
        this.holdUntilFree({ ...held, generation: this.generation, since: Date.now() }, permits);
        break;
      }
      this.take(topic, partition, messages.shift()!, resolveOffset, permits, null);
    }
    return Promise.resolve();
  }

  /**
   * After a rebalance the consumer reads every partition again from its committed offset:
   * records still running belong to the old assignment and may no longer commit (the new
   * owner, maybe this worker, runs them again and idempotency drops the copy). A consumer
   * restarted after a crash has forgotten its pauses: they are made again.
   */
  onRebalance(): void {
    this.generation += 1;
    this.windows.clear();
    this.pendingCommits.clear();
    this.held.clear();
    for (const { topic, partition } of this.paused.values()) {
      this.pauseFetching([{ topic, partitions: [partition] }]);
    }
    if (this.draining) this.pauseFetching(this.drainedTopics.map((topic) => ({ topic })));
  }

  /**
   * The assignment is ending (a rebalance begins, the consumer crashed or stops): records held
   * may be another member's by the time a permit frees, so none of them is started. Their
   * partitions resume when one does, and fetch again from the last record taken.
   */
  onAssignmentEnding(): void {
    this.held.clear();
  }

  inFlight(): number {
    return this.running.size;
  }

  /**
   * Stops taking records, waits for those running as long as `waitFor` lets it (true: they
   * settled in time), commits what finished. What still runs then is not committed: the
   * partition's next owner reads it again.
   */
  async drain(
    topics: string[],
    waitFor: (work: Promise<unknown>) => Promise<boolean>,
  ): Promise<DrainResult> {
    this.draining = true;
    this.drainedTopics = topics;
    this.pauseFetching(topics.map((topic) => ({ topic })));
    const running = [...this.running];
    const finishedInTime = await waitFor(Promise.allSettled(running));
    await this.flushCommits();
    const handedBack = finishedInTime ? 0 : this.running.size;
    return { finished: running.length - handedBack, handedBack };
  }

  /** Starts one record under a permit already taken; `heldSince` when it waited held, else null. */
  private take(
    topic: string,
    partition: number,
    message: KafkaMessage,
    resolveOffset: (offset: string) => void,
    permits: Permits,
    heldSince: number | null,
  ): void {
    this.hooks.onPermitsChanged(topic, permits);
    this.hooks.onWaited(topic, heldSince === null ? 0 : (Date.now() - heldSince) / 1000);
    const window = this.windowOf(topic, partition);
    window.take(message.offset);
    resolveOffset(message.offset);
    this.start({ topic, partition, message, heldSince, tookPermitAt: Date.now() }, window, permits);
  }

  private start(record: TakenRecord, window: OffsetWindow, permits: Permits): void {
    const generation = this.generation;
    const key = `${record.topic}/${record.message.key?.toString() ?? ''}`;
    const run = this.lanes
      .run(key, () => this.processUntilDone(record))
      .then(
        () => {
          if (generation !== this.generation) return;
          const offset = window.complete(record.message.offset);
          if (offset) this.queueCommit(record.topic, record.partition, offset);
        },
        // Given up on by a drain: left uncommitted for the partition's next owner.
        () => undefined,
      )
      .finally(() => {
        this.running.delete(run);
        permits.give();
        this.hooks.onPermitsChanged(record.topic, permits);
      });
    this.running.add(run);
  }

  /**
   * A record the transport could not even dead-letter (the broker is away) is tried again
   * until it can be, holding its permit; a drain leaves it uncommitted.
   */
  private async processUntilDone(record: TakenRecord): Promise<void> {
    for (;;) {
      try {
        return await this.hooks.process(record);
      } catch (error) {
        this.hooks.onProcessFailed(record, error);
        if (this.draining) throw error;
        await sleep(RETRY_FAILED_PROCESSING_MS);
      }
    }
  }

  private windowOf(topic: string, partition: number): OffsetWindow {
    const id = `${topic}/${partition}`;
    let window = this.windows.get(id);
    if (!window) {
      window = new OffsetWindow();
      this.windows.set(id, window);
    }
    return window;
  }

  /**
   * Pauses the partition and keeps its records not taken; each time a permit may be free, takes
   * what it can of them, and resumes the partition once none is left. Partitions waiting take
   * turns: one that got a permit waits behind the others for the next.
   */
  private holdUntilFree(records: HeldRecords, permits: Permits): void {
    const { topic, partition } = records;
    const id = `${topic}/${partition}`;
    this.held.set(id, records);
    if (this.paused.has(id)) return;
    this.pauseFetching([{ topic, partitions: [partition] }]);
    this.paused.set(id, { topic, partition });
    this.hooks.onPausedChanged(topic, this.pausedOf(topic));
    const onFree = () => {
      if (this.draining) return;
      const waiting = this.held.get(id);
      if (waiting && this.stillOurs(waiting)) {
        let took = false;
        while (waiting.messages.length > 0 && permits.tryTake()) {
          took = true;
          const message = waiting.messages.shift()!;
          this.take(topic, partition, message, waiting.resolveOffset, permits, waiting.since);
        }
        if (waiting.messages.length > 0) {
          // Behind the partitions called back with it, which register again as this call runs.
          if (took) queueMicrotask(() => permits.whenFree(onFree));
          else permits.whenFree(onFree);
          return;
        }
      }
      this.held.delete(id);
      this.paused.delete(id);
      this.resumeFetching([{ topic, partitions: [partition] }]);
      this.hooks.onPausedChanged(topic, this.pausedOf(topic));
    };
    permits.whenFree(onFree);
  }

  private stillOurs(held: HeldRecords): boolean {
    return held.generation === this.generation && held.isRunning() && !held.isStale();
  }

  /**
   * kafkajs refuses to pause or resume a consumer between a crash and its restart; the restarted
   * one starts unpaused and is paused again when it joins (onRebalance).
   */
  private pauseFetching(partitions: { topic: string; partitions?: number[] }[]): void {
    try {
      this.consumer.pause(partitions);
    } catch {
      // not running: see above
    }
  }

  private resumeFetching(partitions: { topic: string; partitions: number[] }[]): void {
    try {
      this.consumer.resume(partitions);
    } catch {
      // not running: nothing is paused
    }
  }

  private pausedOf(topic: string): number {
    return [...this.paused.values()].filter((p) => p.topic === topic).length;
  }

  private queueCommit(topic: string, partition: number, offset: string): void {
    this.pendingCommits.set(`${topic}/${partition}`, { topic, partition, offset });
    this.kickCommits();
  }

  private kickCommits(): void {
    this.committing ??= this.commitPending().finally(() => (this.committing = null));
  }

  private async flushCommits(): Promise<void> {
    while (this.committing || this.pendingCommits.size > 0) {
      if (this.pendingCommits.size > 0) this.kickCommits();
      await this.committing;
    }
  }

  /** One commit request at a time, carrying every partition's latest watermark. */
  private async commitPending(): Promise<void> {
    while (this.pendingCommits.size > 0) {
      const offsets = [...this.pendingCommits.values()];
      this.pendingCommits.clear();
      try {
        await this.consumer.commitOffsets(offsets);
      } catch (error) {
        // Lost to a rebalance: the records may come again, and consumers are idempotent.
        this.hooks.onCommitFailed(error);
      }
    }
  }
}
