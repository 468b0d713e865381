import { setTimeout as sleep } from 'node:timers/promises';
import { KeyLanes } from './key-lanes';

describe('KeyLanes', () => {
  it('runs one key in order and different keys side by side', async () => {
    const lanes = new KeyLanes();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await sleep(ms);
      log.push(`${name} end`);
    };
    await Promise.all([
      lanes.run('a', step('a1', 30)),
      lanes.run('a', step('a2', 1)),
      lanes.run('b', step('b1', 1)),
    ]);
    expect(log.indexOf('a2 start')).toBeGreaterThan(log.indexOf('a1 end'));
    expect(log.indexOf('b1 end')).toBeLessThan(log.indexOf('a1 end'));
    expect(lanes.busy()).toBe(0);
  });

  it('goes on with a key after its work failed', async () => {
    const lanes = new KeyLanes();
    const failed = lanes.run('a', () => Promise.reject(new Error('boom')));
    const next = lanes.run('a', () => Promise.resolve());
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBeUndefined();
  });
});
