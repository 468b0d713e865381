import { AdaptiveLimit, CallOutcome } from './adaptive-limit';

const answered = (startedAt: number, tookMs: number, inFlight: number): CallOutcome => ({
  startedAt,
  endedAt: startedAt + tookMs,
  inFlight,
  dropped: false,
});
const dropped = (startedAt: number, tookMs: number): CallOutcome => ({
  startedAt,
  endedAt: startedAt + tookMs,
  inFlight: 32,
  dropped: true,
});

describe('AdaptiveLimit', () => {
  it('starts at its ceiling', () => {
    expect(new AdaptiveLimit(32).current()).toBe(32);
  });

  it('falls when the gateway drops a call', () => {
    const limit = new AdaptiveLimit(32);
    expect(limit.learn(dropped(0, 100))).toBe(true);
    expect(limit.current()).toBe(22);
  });

  it('cuts once for a burst of drops from calls that were all under way together', () => {
    const limit = new AdaptiveLimit(32);
    for (let i = 0; i < 32; i++) limit.learn(dropped(0, 100 + i));
    expect(limit.current()).toBe(22);
  });

  it('cuts again for calls started after the last cut, once a recent latency has passed', () => {
    const limit = new AdaptiveLimit(32);
    limit.learn(dropped(0, 100));
    limit.learn(dropped(110, 20));
    expect(limit.current()).toBe(22);
    limit.learn(dropped(150, 100));
    expect(limit.current()).toBe(15);
  });

  it('falls when calls take much longer than without load, not on one slow call', () => {
    const limit = new AdaptiveLimit(32);
    limit.learn(answered(0, 100, 32));
    limit.learn(answered(200, 300, 32));
    expect(limit.current()).toBe(32);
    limit.learn(answered(600, 300, 32));
    expect(limit.current()).toBe(22);
  });

  it('learns nothing from answers that waited on this busy process, but still cuts on a drop', () => {
    const limit = new AdaptiveLimit(32);
    limit.learn(answered(0, 100, 32));
    const busy = (call: CallOutcome): CallOutcome => ({ ...call, ownDelayMs: 150 });
    for (const startedAt of [200, 600, 1000]) {
      expect(limit.learn(busy(answered(startedAt, 300, 32)))).toBe(false);
    }
    expect(limit.current()).toBe(32);
    limit.learn(busy(dropped(1400, 100)));
    expect(limit.current()).toBe(22);
  });

  it('never falls below 1', () => {
    const limit = new AdaptiveLimit(32);
    for (let t = 0; t < 100_000; t += 1000) limit.learn(dropped(t, 100));
    expect(limit.current()).toBe(1);
  });

  it('rises by one per limit of calls answered at no-load latency while the limit is nearly used', () => {
    const limit = new AdaptiveLimit(32);
    for (let t = 0; t < 5000; t += 1000) limit.learn(dropped(t, 100));
    const low = limit.current();
    expect(low).toBeLessThan(8);
    for (let i = 0; i < low; i++) limit.learn(answered(6000, 100, low));
    expect(limit.current()).toBe(low + 1);
    for (let i = 0; i < low; i++) limit.learn(answered(6200, 100, low));
    expect(limit.current()).toBe(low + 1);
    limit.learn(answered(6300, 100, low));
    expect(limit.current()).toBe(low + 2);
  });

  it('does not rise on calls that leave most of the limit unused', () => {
    const limit = new AdaptiveLimit(32);
    limit.learn(dropped(0, 100));
    for (let t = 1000; t < 2000; t += 100) limit.learn(answered(t, 100, 2));
    expect(limit.current()).toBe(22);
  });

  it('is its ceiling when it does not adapt, whichever way the ceiling moves', () => {
    const limit = new AdaptiveLimit(3);
    limit.setCeiling(8, { adapting: false });
    expect(limit.current()).toBe(8);
    limit.setCeiling(2, { adapting: false });
    expect(limit.current()).toBe(2);
  });

  it('never rises above its ceiling, and a lower ceiling caps it at once', () => {
    const limit = new AdaptiveLimit(8);
    for (let t = 0; t < 2000; t += 100) limit.learn(answered(t, 100, 8));
    expect(limit.current()).toBe(8);
    limit.setCeiling(3);
    expect(limit.current()).toBe(3);
    limit.setCeiling(10);
    expect(limit.current()).toBe(3);
    for (let t = 3000; t < 10_000; t += 100) limit.learn(answered(t, 100, 10));
    expect(limit.current()).toBe(10);
  });
});
