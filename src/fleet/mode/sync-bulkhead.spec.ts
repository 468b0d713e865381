import { setTimeout as sleep } from 'node:timers/promises';
import { PaymentCapacityExhaustedError, SyncBulkhead } from './sync-bulkhead';

/** Work that runs until released, recording that it started. */
function held() {
  let release: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (release = resolve));
  const work = {
    started: false,
    release: () => release(),
    run: async () => {
      work.started = true;
      await done;
      return 'done';
    },
  };
  return work;
}

describe('the sync bulkhead', () => {
  it('runs at most its limit at once, and a waiting checkout when a slot frees', async () => {
    const bulkhead = new SyncBulkhead({ maxInFlight: 2, queueLength: 5, queueWaitMs: 1000 });
    const [a, b, c] = [held(), held(), held()];
    const runs = [a, b, c].map((work) => bulkhead.run(work.run));
    expect([a.started, b.started, c.started]).toEqual([true, true, false]);
    expect([bulkhead.inUse(), bulkhead.queued()]).toEqual([2, 1]);

    a.release();
    await runs[0];
    await sleep(0);
    expect(c.started).toBe(true);
    expect([bulkhead.inUse(), bulkhead.queued()]).toEqual([2, 0]);
    b.release();
    c.release();
    expect(await Promise.all(runs)).toEqual(['done', 'done', 'done']);
    expect([bulkhead.inUse(), bulkhead.queued()]).toEqual([0, 0]);
  });

  it('refuses a checkout that waited past the deadline, and never runs it', async () => {
    const limits = { maxInFlight: 1, queueLength: 5, queueWaitMs: 30 };
    const bulkhead = new SyncBulkhead(limits);
    const [first, late] = [held(), held()];
    const running = bulkhead.run(first.run);
    await expect(bulkhead.run(late.run)).rejects.toThrow(new PaymentCapacityExhaustedError(limits));
    expect(bulkhead.queued()).toBe(0);
    first.release();
    await running;
    await sleep(10);
    expect(late.started).toBe(false);
  });

  it('refuses at once when the queue is full too', async () => {
    const bulkhead = new SyncBulkhead({ maxInFlight: 1, queueLength: 0, queueWaitMs: 1000 });
    const first = held();
    const running = bulkhead.run(first.run);
    const startedAt = Date.now();
    await expect(bulkhead.run(held().run)).rejects.toBeInstanceOf(PaymentCapacityExhaustedError);
    expect(Date.now() - startedAt).toBeLessThan(500);
    first.release();
    await running;
  });

  it('says so, and when to retry', () => {
    const error = new PaymentCapacityExhaustedError({
      maxInFlight: 32,
      queueLength: 64,
      queueWaitMs: 2000,
    });
    expect(error.message).toMatch(/^Payment capacity is exhausted: 32 checkouts are paying/);
    expect(error).toMatchObject({ kind: 'unavailable', retryAfterSeconds: 2 });
  });
});
