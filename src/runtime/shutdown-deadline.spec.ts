import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';
import { ShutdownDeadline } from './shutdown-deadline';

const withGrace = (graceMs: number) => new ShutdownDeadline({ shutdown: { graceMs } } as AppConfig);

describe('ShutdownDeadline', () => {
  it('leaves the waiting what the grace has after a second for closing, counted from the start', async () => {
    const deadline = withGrace(1300);
    deadline.begin();
    await sleep(100);
    expect(deadline.remainingMs()).toBeGreaterThan(100);
    expect(deadline.remainingMs()).toBeLessThanOrEqual(200);
    expect(withGrace(500).remainingMs()).toBe(0);
  });

  it('waits for work until the deadline, one drain after another sharing it', async () => {
    const deadline = withGrace(1300);
    expect(await deadline.waitFor(sleep(50))).toBe(true);
    const never = new Promise(() => undefined);
    const started = Date.now();
    expect(await deadline.waitFor(never)).toBe(false);
    expect(await deadline.waitFor(never)).toBe(false);
    expect(Date.now() - started).toBeLessThan(400);
  });
});
