import { setTimeout as sleep, setImmediate as nextTurn } from 'node:timers/promises';
import { loadConfig } from '../../config/app-config';
import { GatewayPace } from './gateway-pace';

const paceOf = (maxInFlight: number) =>
  new GatewayPace(loadConfig({ MAX_IN_FLIGHT: String(maxInFlight) }));

/** Whether `entry` has let its call through by the time the queued callbacks have run. */
async function through<T>(entry: Promise<T>): Promise<boolean> {
  let done = false;
  void entry.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('the gateway pace', () => {
  it('lets one call through at a time while the circuit is open, and the rest once it closes', async () => {
    const pace = paceOf(4);
    pace.setCircuitClosed(false);
    expect(pace.current()).toBe(1);

    const probe = await pace.enter();
    const waiting = [pace.enter(), pace.enter(), pace.enter()];
    expect(await Promise.all(waiting.map(through))).toEqual([false, false, false]);

    pace.setCircuitClosed(true);
    expect(pace.current()).toBe(4);
    expect(await Promise.all(waiting.map(through))).toEqual([true, true, true]);
    probe.answered();
  });

  it('tells its listeners the limit in force as the circuit opens and closes, the ceiling kept', () => {
    const pace = paceOf(6);
    const limits: number[] = [];
    pace.onChange((limit) => limits.push(limit));
    pace.setCircuitClosed(false);
    pace.setCeiling(3);
    expect(pace.current()).toBe(1);
    pace.setCircuitClosed(true);
    expect(limits).toEqual([1, 3]);
  });

  it("does not cut the limit for the time answers wait on this process's own busy event loop", async () => {
    const pace = paceOf(8);
    try {
      const call = async () => {
        const paced = await pace.enter();
        await sleep(50);
        paced.answered();
      };
      for (let i = 0; i < 3; i++) await call();
      // Each turn of the loop now does 80 ms of work until every call is answered: a 50 ms answer
      // is read 80 ms or more after its call, past 1.5 times the latency without load, though
      // the gateway is no slower.
      let pending = 0;
      for (let turn = 0; turn < 15 || pending > 0; turn++) {
        if (turn < 15) {
          pending += 1;
          void call().finally(() => (pending -= 1));
        }
        const until = Date.now() + 80;
        while (Date.now() < until);
        await nextTurn();
      }
      expect(pace.current()).toBe(8);
    } finally {
      pace.onModuleDestroy();
    }
  });
});
