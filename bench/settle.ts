import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { CpuSplit, cpuMeter } from './cpu';
import { freshDatabase } from '../test/support/fresh-database';
import { offerLoad } from './load';
import {
  outcomesOf,
  samplePermitLimit,
  SaleBench,
  shopperIds,
  startProcesses,
  stockFor,
  stopApps,
  untilAllFinal,
} from './sale';
import { AppProcess } from '../test/support/app-process';

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
 * The processes that settle, by name, and their roles: those started before the burst, and those
 * started once it waits in Kafka. Beside the burst: the worker settles while the burst is being
 * accepted, in the API's process or apart from it (does settling keep pace with accepting). On a
 * backlog: an API process alone accepts the burst, then one worker process starts (what one worker
 * settles when nothing else runs).
 */
const LAYOUTS: Record<
  string,
  { database: string; beforeBurst: Record<string, string>; afterBurst?: Record<string, string> }
> = {
  one: { database: 'one', beforeBurst: { app: 'api,worker' } },
  'api + worker': { database: 'split', beforeBurst: { api: 'api', worker: 'worker' } },
  'worker on a backlog': {
    database: 'backlog',
    beforeBurst: { api: 'api' },
    afterBurst: { worker: 'worker' },
  },
};
export const SETTLE_LAYOUTS = Object.keys(LAYOUTS);

/**
 * Accepts a burst of `orders` faster than they can settle, so a backlog forms, and measures
 * the pace at which the worker drains it.
 */
export async function settle(
  bench: SaleBench,
  processes: string,
  { orders, perSecond }: { orders: number; perSecond: number },
  brokerPid: number | null,
): Promise<SettleResult> {
  const { beforeBurst, afterBurst, database: slug } = LAYOUTS[processes];
  const database = `peak_bench_settle_${slug}`;
  await freshDatabase(bench.databaseUrl('postgres'), database);
  const layout = { mode: 'async' as const, gatewayToldToApp: true };
  const start = (roles: Record<string, string>) =>
    startProcesses(bench, layout, database, SETTLE_GATEWAY, roles);
  const apps: Record<string, AppProcess> = await start(beforeBurst);
  const settler = () => apps.worker ?? apps.app;
  const db = new Client({ connectionString: bench.databaseUrl(database) });
  try {
    await db.connect();
    const shoppers = shopperIds('settle', orders);
    await stockFor(db, { sku: SKU, name: 'Settle mug', priceCents: 1200 }, shoppers);
    const started = performance.now();
    const apiUrl = (apps.api ?? apps.app).url;
    let limit = afterBurst ? null : samplePermitLimit(settler());
    const { answers } = await offerLoad({
      url: apiUrl,
      shoppers,
      perSecond,
      timeoutMs: bench.timeoutMs,
    });
    const accepted = answers.filter((a) => a.outcome === 'accepted').length;
    if (afterBurst) {
      await untilRelayed(db, bench.finalWithinSeconds);
      bench.log(`settle ${processes}: ${accepted} accepted and in Kafka; starting the worker`);
      Object.assign(apps, await start(afterBurst));
      limit = samplePermitLimit(settler());
    } else {
      bench.log(`settle ${processes}: ${accepted} accepted; draining`);
    }
    const drainedFrom = performance.now();
    const meter = cpuMeter({
      pids: {
        ...Object.fromEntries(Object.entries(apps).map(([role, app]) => [role, [app.pid]])),
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
    const permitLimit = await limit!.stop();
    const outcomes = await outcomesOf(db, SKU);
    const workers = 1;
    return {
      processes,
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
    await stopApps(Object.values(apps));
  }
}

/** Until the outbox is empty: every accepted order's request is in Kafka. */
async function untilRelayed(db: Client, withinSeconds: number): Promise<void> {
  const deadline = performance.now() + withinSeconds * 1000;
  while (performance.now() < deadline) {
    const { rows } = await db.query<{ waiting: number }>(
      'SELECT count(*)::int AS waiting FROM outbox WHERE published_at IS NULL',
    );
    if (rows[0].waiting === 0) return;
    await sleep(200);
  }
  throw new Error(`settle: the outbox still holds rows after ${withinSeconds} s`);
}
