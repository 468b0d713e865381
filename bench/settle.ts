import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { CpuSplit, cpuMeter } from './cpu';
import { freshDatabase } from '../test/support/fresh-database';
import { offerLoad } from './load';
import {
  outcomesOf,
  samplePermitLimit,
  SaleBench,
  shopperIds,
  startApps,
  stockFor,
  stopApps,
  untilAllFinal,
} from './sale';

export interface SettleResult {
  processes: string;
  workers: number;
  orders: number;
  /** Orders settled per second, from the first payment recorded to the last. */
  settledPerSecond: number | null;
  settledPerSecondPerWorker: number | null;
  paid: number;
  paymentFailed: number;
  /** The payment permit limit in force on the worker, one sample a second from the burst on. */
  permitLimit: number[];
  /** Once the burst is accepted, until every order is final: who spent the machine's cores. */
  drain: { seconds: number; cpuSeconds: CpuSplit };
}

/** A gateway that bears far more than a worker settles: the worker is what is measured. */
export const SETTLE_GATEWAY = { latencyMs: 50, capacity: 500 };
const SKU = 'SETTLE-MUG';

/**
 * Accepts a burst of `orders` faster than they can settle, so a backlog forms, and measures
 * the pace at which the worker(s) drain it.
 */
export async function settle(
  bench: SaleBench,
  split: boolean,
  { orders, perSecond }: { orders: number; perSecond: number },
  brokerPid: number | null,
): Promise<SettleResult> {
  const database = `peak_bench_settle_${split ? 'split' : 'one'}`;
  await freshDatabase(bench.databaseUrl('postgres'), database);
  const apps = await startApps(
    bench,
    { mode: 'async', split, gatewayToldToApp: true },
    database,
    SETTLE_GATEWAY,
  );
  const db = new Client({ connectionString: bench.databaseUrl(database) });
  try {
    await db.connect();
    const shoppers = shopperIds('settle', orders);
    await stockFor(db, { sku: SKU, name: 'Settle mug', priceCents: 1200 }, shoppers);
    const started = performance.now();
    const limit = samplePermitLimit(apps.worker);
    const { answers } = await offerLoad({
      url: apps.api.url,
      shoppers,
      perSecond,
      timeoutMs: bench.timeoutMs,
    });
    const accepted = answers.filter((a) => a.outcome === 'accepted').length;
    bench.log(`settle ${split ? 'split' : 'one process'}: ${accepted} accepted; draining`);
    const drainedFrom = performance.now();
    const meter = cpuMeter({
      pids: {
        ...Object.fromEntries(Object.entries(apps.named).map(([role, app]) => [role, [app.pid]])),
        ...(brokerPid ? { kafka: [brokerPid] } : {}),
      },
      commands: { postgres: 'postgres' },
      self: 'load generator',
    });
    if ((await untilAllFinal(db, started, bench.finalWithinSeconds)) === null) {
      throw new Error(`settle: orders still wait for payment after ${bench.finalWithinSeconds} s`);
    }
    const drain = {
      cpuSeconds: await meter.stop(),
      seconds: (performance.now() - drainedFrom) / 1000,
    };
    const permitLimit = await limit.stop();
    const outcomes = await outcomesOf(db, SKU);
    const workers = 1;
    return {
      processes: split ? 'api + worker' : 'one',
      workers,
      orders: accepted,
      settledPerSecond: outcomes.settledPerSecond,
      settledPerSecondPerWorker:
        outcomes.settledPerSecond === null ? null : outcomes.settledPerSecond / workers,
      paid: outcomes.paid,
      paymentFailed: outcomes.failed,
      permitLimit,
      drain,
    };
  } finally {
    await db.end();
    await stopApps(apps.all);
  }
}
