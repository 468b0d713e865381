import { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { Permits } from './permits';
import { DispatcherHooks, RecordDispatcher, TakenRecord } from './record-dispatcher';

const TOPIC = 'payment.order';

/** What the dispatcher asked of the consumer, in order. */
function fakeConsumer() {
  const calls: string[] = [];
  const committed: { partition: number; offset: string }[] = [];
  const consumer = {
    pause: (parts: { topic: string; partitions?: number[] }[]) =>
      calls.push(`pause ${parts.map((p) => p.partitions?.join(',') ?? 'all').join(' ')}`),
    resume: (parts: { topic: string; partitions: number[] }[]) =>
      calls.push(`resume ${parts.map((p) => p.partitions.join(',')).join(' ')}`),
    commitOffsets: (offsets: { partition: number; offset: string }[]) => {
      committed.push(...offsets.map(({ partition, offset }) => ({ partition, offset })));
      return Promise.resolve();
    },
  } as unknown as Consumer;
  return { consumer, calls, committed };
}

/** Records that run until the test finishes them, one by one, by offset. */
function heldOpenWork(permits: Permits) {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const hooks: DispatcherHooks = {
    permitsFor: () => permits,
    process: (record: TakenRecord) => {
      started.push(`${record.partition}:${record.message.offset}`);
      return new Promise<void>((resolve) =>
        finish.set(`${record.partition}:${record.message.offset}`, resolve),
      );
    },
    onPermitsChanged: () => undefined,
    onPausedChanged: () => undefined,
    onWaited: () => undefined,
    onCommitFailed: () => undefined,
    onProcessFailed: () => undefined,
  };
  return {
    hooks,
    started,
    async done(id: string) {
      finish.get(id)!();
      // The record's own continuations, then the permit's release, run as microtasks.
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
  };
}

/** A fetched batch of `count` records from `from`, keyed one per record unless `key` says. */
function batchOf(partition: number, from: number, count: number, key?: (n: number) => string) {
  const resolved: string[] = [];
  const messages = Array.from({ length: count }, (_, i) => {
    const offset = String(from + i);
    return { offset, key: Buffer.from(key ? key(from + i) : `order-${offset}`), value: null };
  }) as unknown as KafkaMessage[];
  const consumer = { running: true, sought: false };
  const payload = {
    batch: { topic: TOPIC, partition, messages },
    resolveOffset: (offset: string) => resolved.push(offset),
    isRunning: () => consumer.running,
    isStale: () => consumer.sought,
  } as unknown as EachBatchPayload;
  return { payload, resolved, consumer };
}

/** A dispatcher over `size` permits, a fake consumer and work the test finishes. */
function setUp(size: number) {
  const permits = new Permits(size);
  const consumer = fakeConsumer();
  const work = heldOpenWork(permits);
  return { ...consumer, work, dispatcher: new RecordDispatcher(consumer.consumer, work.hooks) };
}

describe('RecordDispatcher', () => {
  it('runs as many records as there are permits, then holds the rest of the batch and pauses', async () => {
    const { dispatcher, work, calls } = setUp(2);

    const { payload, resolved } = batchOf(0, 10, 5);
    await dispatcher.onBatch(payload);

    expect(work.started).toEqual(['0:10', '0:11']);
    expect(resolved).toEqual(['10', '11']);
    expect(calls).toEqual(['pause 0']);
    expect(dispatcher.inFlight()).toBe(2);
  });

  it('takes held records as permits free, and resumes fetching only when none is left', async () => {
    const { dispatcher, work, calls } = setUp(2);
    const { payload, resolved } = batchOf(0, 10, 5);
    await dispatcher.onBatch(payload);

    await work.done('0:10');
    expect(work.started).toEqual(['0:10', '0:11', '0:12']);
    expect(calls).toEqual(['pause 0']);

    await work.done('0:11');
    await work.done('0:12');
    expect(work.started).toEqual(['0:10', '0:11', '0:12', '0:13', '0:14']);
    expect(resolved).toEqual(['10', '11', '12', '13', '14']);
    expect(calls).toEqual(['pause 0', 'resume 0']);
  });

  it('ignores a batch of a partition whose records are held: they are fetched again after', async () => {
    const { dispatcher, work } = setUp(1);
    await dispatcher.onBatch(batchOf(0, 0, 3).payload);

    const late = batchOf(0, 1, 4);
    await dispatcher.onBatch(late.payload);
    expect(late.resolved).toEqual([]);

    await work.done('0:0');
    await work.done('0:1');
    expect(work.started).toEqual(['0:0', '0:1', '0:2']);
  });

  it('lets waiting partitions take turns for freed permits', async () => {
    const { dispatcher, work } = setUp(1);
    await dispatcher.onBatch(batchOf(0, 0, 3).payload);
    await dispatcher.onBatch(batchOf(1, 0, 3).payload);
    await dispatcher.onBatch(batchOf(2, 0, 3).payload);

    await work.done('0:0');
    await work.done('0:1');
    await work.done('1:0');
    expect(work.started).toEqual(['0:0', '0:1', '1:0', '2:0']);
  });

  it('starts no held record once the assignment is ending; the partition fetches again', async () => {
    const { dispatcher, work, calls } = setUp(1);
    const { payload, resolved } = batchOf(0, 0, 3);
    await dispatcher.onBatch(payload);

    dispatcher.onAssignmentEnding();
    await work.done('0:0');
    expect(work.started).toEqual(['0:0']);
    expect(resolved).toEqual(['0']);
    expect(calls).toEqual(['pause 0', 'resume 0']);
  });

  it('starts no held record of a consumer that stopped or of a partition sought elsewhere', async () => {
    const { dispatcher, work, calls } = setUp(1);
    const stopping = batchOf(0, 0, 2);
    const sought = batchOf(1, 0, 2);
    await dispatcher.onBatch(stopping.payload);
    await dispatcher.onBatch(sought.payload);
    expect(work.started).toEqual(['0:0']);

    stopping.consumer.running = false;
    sought.consumer.sought = true;
    await work.done('0:0');
    expect(work.started).toEqual(['0:0']);
    expect([stopping.resolved, sought.resolved]).toEqual([['0'], []]);
    expect(calls).toEqual(['pause 0', 'pause 1', 'resume 0', 'resume 1']);
  });

  it('runs records of one key in order and of different keys alongside', async () => {
    const { dispatcher, work } = setUp(10);
    const keys = ['a', 'b', 'a', 'c'];
    await dispatcher.onBatch(batchOf(0, 0, 4, (n) => keys[n]).payload);
    await Promise.resolve();
    expect(work.started).toEqual(['0:0', '0:1', '0:3']);

    await work.done('0:0');
    expect(work.started).toEqual(['0:0', '0:1', '0:3', '0:2']);
  });

  it('commits only the contiguous watermark of what finished', async () => {
    const { dispatcher, work, committed } = setUp(10);
    await dispatcher.onBatch(batchOf(0, 0, 3).payload);

    await work.done('0:1');
    expect(committed).toEqual([]);
    await work.done('0:0');
    expect(committed.at(-1)).toEqual({ partition: 0, offset: '2' });
    await work.done('0:2');
    expect(committed.at(-1)).toEqual({ partition: 0, offset: '3' });
  });

  it('drains: takes nothing more, waits for what runs and commits it; held records stay for the next owner', async () => {
    const { dispatcher, work, calls, committed } = setUp(1);
    await dispatcher.onBatch(batchOf(0, 0, 3).payload);

    const draining = dispatcher.drain([TOPIC], (all) => all.then(() => true));
    await work.done('0:0');
    expect(await draining).toEqual({ finished: 1, handedBack: 0 });
    expect(work.started).toEqual(['0:0']);
    expect(committed.at(-1)).toEqual({ partition: 0, offset: '1' });
    expect(calls).toContain('pause all');
  });
});
