import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { AppProcess, freePort } from '../test/support/app-process';
import { freshDatabase } from '../test/support/fresh-database';
import { seriesValue } from '../test/support/metrics';
import { Answer, offerLoad, percentile } from './load';

/** One sale: the same shoppers and stock, checked out in one mode by one app layout. */
export interface Scenario {
  name: string;
  mode: 'sync' | 'async';
  /** API and worker as separate processes rather than one. */
  split: boolean;
  perSecond: number;
  shoppers: number;
  stock: number;
  /**
   * Whether the app is told what the gateway bears (MAX_IN_FLIGHT set for it); untold, the
   * ceiling stays at its default and the adaptive limit has to find the gateway's pace.
   */
  gatewayToldToApp: boolean;
}

/** What the whole benchmark shares: the broker, the database server, the gateway. */
export interface SaleBench {
  brokers: string;
  databaseUrl: (database: string) => string;
  gateway: { latencyMs: number; capacity: number };
  /** The gateway's throughput: capacity concurrent calls of latencyMs each. */
  gatewayPerSecond: number;
  /** How long to wait for the last order to become final before calling it lost. */
  finalWithinSeconds: number;
  timeoutMs: number;
  log: (line: string) => void;
}

export interface SaleResult {
  scenario: string;
  mode: 'sync' | 'async';
  processes: string;
  offered: number;
  offeredPerSecond: number;
  accepted: number;
  acceptedPerSecond: number;
  soldOut: number;
  /** 503s: the sync path's capacity spent or the gateway's circuit open. */
  refused: number;
  errors: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  refusalP99Ms: number | null;
  paid: number;
  paymentFailed: number;
  /** Payments that failed because the gateway was overloaded or did not answer in time. */
  failedByOverload: number;
  /** Orders settled per second, from the first payment recorded to the last. */
  settledPerSecond: number | null;
  /** The payment permit limit in force on the worker, one sample a second from the sale's start. */
  permitLimit: number[];
  /** From the first shopper's arrival until no order waits for its payment; null: never. */
  allFinalSeconds: number | null;
  /** The least time the gateway needs for the orders it was asked to settle. */
  gatewayBoundSeconds: number;
  invariants: {
    oversoldUnits: number;
    /** Units neither on the shelf nor held by an order: a leak, or an oversell in disguise. */
    unitsUnaccounted: number;
    lostOrders: number;
    doubleCharges: number;
  };
  peakMemoryMb: Record<string, number>;
  /** Second by second from the sale's start: what the headline chart draws. */
  timeline: SaleTimeline;
}

export interface SaleTimeline {
  /** p99 of the accepted orders due in that second; null when none was accepted. */
  acceptP99Ms: (number | null)[];
  /** Payments recorded in that second. */
  settled: number[];
}

/** Every app process the benchmark has started and not yet stopped, for its deadline. */
export const runningApps = new Set<AppProcess>();

export const SKU = 'FLASH-SNEAKER';
const PRICE_CENTS = 18_900;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const INTERNAL_SECRET = 'bench-internal-secret-0123456789';

/** Runs one sale from an empty database to the last order settled, and checks the result. */
export async function runSale(bench: SaleBench, scenario: Scenario): Promise<SaleResult> {
  const database = `peak_bench_${scenario.name.replace(/\W+/g, '_')}`;
  await freshDatabase(bench.databaseUrl('postgres'), database);
  const apps = await startApps(bench, scenario, database, bench.gateway);
  const db = new Client({ connectionString: bench.databaseUrl(database) });
  try {
    await db.connect();
    await warmUp(bench, scenario, apps.api.url, db);
    await stockTheSale(db, scenario);
    bench.log(
      `${scenario.name}: ${scenario.shoppers} shoppers at ${scenario.perSecond}/s for ` +
        `${scenario.stock} units`,
    );
    const saleStarted = performance.now();
    const limit = samplePermitLimit(apps.worker);
    const { answers } = await offerLoad({
      url: apps.api.url,
      shoppers: shopperIds('shopper', scenario.shoppers),
      perSecond: scenario.perSecond,
      timeoutMs: bench.timeoutMs,
    });
    const accepted = answers.filter((a) => a.outcome === 'accepted');
    const refused = answers.filter((a) => a.outcome === 'refused');
    bench.log(`${scenario.name}: ${accepted.length} accepted; waiting for every order to be final`);
    const allFinalSeconds = await untilAllFinal(db, saleStarted, bench.finalWithinSeconds);
    const permitLimit = await limit.stop();
    const outcomes = await outcomesOf(db, SKU);
    const invariants = await checkInvariants(
      db,
      scenario,
      accepted.map((a) => a.orderId!),
      await chargesHeld(apps.all),
    );
    const peakMemoryMb = Object.fromEntries(
      await Promise.all(
        Object.entries(apps.named).map(async ([role, app]) => [
          role,
          await residentPeakMb(app.pid),
        ]),
      ),
    ) as Record<string, number>;
    const latencies = accepted.map((a) => a.latencyMs);
    const offerSeconds = scenario.shoppers / scenario.perSecond;
    return {
      scenario: scenario.name,
      mode: scenario.mode,
      processes: scenario.split ? 'api + worker' : 'one',
      offered: scenario.shoppers,
      offeredPerSecond: scenario.perSecond,
      accepted: accepted.length,
      acceptedPerSecond: accepted.length / offerSeconds,
      soldOut: answers.filter((a) => a.outcome === 'sold out').length,
      refused: refused.length,
      errors: answers.filter((a) => a.outcome === 'error' || a.outcome === 'timeout').length,
      latencyMs: {
        p50: percentile(latencies, 0.5),
        p95: percentile(latencies, 0.95),
        p99: percentile(latencies, 0.99),
      },
      refusalP99Ms: percentile(
        refused.map((a) => a.latencyMs),
        0.99,
      ),
      paid: outcomes.paid,
      paymentFailed: outcomes.failed,
      failedByOverload: outcomes.failedByOverload,
      settledPerSecond: outcomes.settledPerSecond,
      permitLimit,
      allFinalSeconds,
      gatewayBoundSeconds: (outcomes.paid + outcomes.failed) / bench.gatewayPerSecond,
      invariants,
      peakMemoryMb,
      timeline: {
        acceptP99Ms: acceptP99PerSecond(answers, scenario.perSecond),
        settled: await settledPerSecondOf(db, SKU),
      },
    };
  } finally {
    await db.end();
    await stopApps(apps.all);
  }
}

export async function stopApps(apps: AppProcess[]): Promise<void> {
  await Promise.all(apps.map((app) => app.stop(30_000)));
  for (const app of apps) runningApps.delete(app);
}

export interface Apps {
  api: AppProcess;
  /** The process that runs payments (the only one, unless split). */
  worker: AppProcess;
  named: Record<string, AppProcess>;
  all: AppProcess[];
}

/** How the app runs: its mode, its processes, and whether it is told what the gateway bears. */
export type Layout = Pick<Scenario, 'mode' | 'split' | 'gatewayToldToApp'>;

export async function startApps(
  bench: SaleBench,
  scenario: Layout,
  database: string,
  gateway: SaleBench['gateway'],
): Promise<Apps> {
  const roles: Record<string, string> = scenario.split
    ? { api: 'api', worker: 'worker' }
    : { app: 'api,worker' };
  const named = await startProcesses(bench, scenario, database, gateway, roles);
  const all = Object.values(named);
  return { api: named.api ?? named.app, worker: named.worker ?? named.app, named, all };
}

/** One app process per entry of `roles` (its name: its `APP_ROLES`), started one at a time. */
export async function startProcesses(
  bench: SaleBench,
  scenario: Omit<Layout, 'split'>,
  database: string,
  gateway: SaleBench['gateway'],
  roles: Record<string, string>,
): Promise<Record<string, AppProcess>> {
  const env = {
    DATABASE_URL: bench.databaseUrl(database),
    KAFKA_BROKERS: bench.brokers,
    KAFKA_TOPIC_PREFIX: `${database}.`,
    KAFKA_PARTITIONS: '6',
    CHECKOUT_MODE: scenario.mode,
    GATEWAY_LATENCY_MS: String(gateway.latencyMs),
    GATEWAY_CAPACITY: String(gateway.capacity),
    // The gateway slows in proportion past its capacity and refuses past twice it; a permit
    // also covers the worker's own database work. Just under twice the capacity keeps the
    // gateway busy without a refusal: the limit an operator would set for it.
    ...(scenario.gatewayToldToApp ? { MAX_IN_FLIGHT: String(2 * gateway.capacity - 1) } : {}),
    // The same bound for sync checkouts; auto mode's threshold must sit under it.
    SYNC_MAX_IN_FLIGHT: String(2 * gateway.capacity - 1),
    AUTO_ASYNC_ABOVE_IN_FLIGHT: String(2 * gateway.capacity - 2),
    AUTO_SYNC_BELOW_IN_FLIGHT: '1',
    ADMIN_TOKEN,
    INTERNAL_SECRET,
    LOG_LEVEL: 'warn',
    SEED_DEMO_CATALOGUE: 'false',
  };
  // e.g. "--cpu-prof --cpu-prof-dir=/tmp/profiles", to see where a sale's time goes
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const named: Record<string, AppProcess> = {};
  for (const [name, role] of Object.entries(roles)) {
    const port = await freePort();
    named[name] = AppProcess.start(
      { ...env, APP_ROLES: role, PUBLIC_URL: `http://127.0.0.1:${port}` },
      port,
      nodeArgs,
    );
    runningApps.add(named[name]);
    try {
      // One at a time: two processes migrating one new database at once would race.
      await named[name].ready(60_000);
    } catch (error) {
      await stopApps(Object.values(named));
      throw error;
    }
  }
  return named;
}

/** A short sale of another product first, so neither mode is measured on a cold process. */
async function warmUp(bench: SaleBench, scenario: Scenario, url: string, db: Client) {
  const shoppers = shopperIds('warm-up', bench.gatewayPerSecond * 2);
  await stockFor(db, { sku: 'WARM-UP', name: 'Warm-up socks', priceCents: 900 }, shoppers);
  await offerLoad({ url, shoppers, perSecond: bench.gatewayPerSecond, timeoutMs: bench.timeoutMs });
  if ((await untilAllFinal(db, performance.now(), 30)) === null) {
    throw new Error(`${scenario.name}: the warm-up orders did not settle within 30 s`);
  }
}

async function stockTheSale(db: Client, scenario: Scenario): Promise<void> {
  await db.query(
    `INSERT INTO products (sku, name, price_cents, currency, stock)
     VALUES ($1, 'Limited-edition sneaker', $2, 'EUR', $3)`,
    [SKU, PRICE_CENTS, scenario.stock],
  );
  await fillCarts(db, shopperIds('shopper', scenario.shoppers), SKU);
}

/** A product with a unit for each of `shoppers`, and that unit in each one's cart. */
export async function stockFor(
  db: Client,
  product: { sku: string; name: string; priceCents: number },
  shoppers: string[],
): Promise<void> {
  await db.query(
    `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, $2, $3, 'EUR', $4)`,
    [product.sku, product.name, product.priceCents, shoppers.length],
  );
  await fillCarts(db, shoppers, product.sku);
}

/** One unit of `sku` in each shopper's cart. */
export async function fillCarts(db: Client, shoppers: string[], sku: string): Promise<void> {
  await db.query(
    `INSERT INTO cart_items (user_id, sku, quantity) SELECT unnest($1::text[]), $2, 1`,
    [shoppers, sku],
  );
}

export function shopperIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, n) => `${prefix}-${n + 1}`);
}

/** Seconds from `since` until no order waits for its payment; null past `withinSeconds`. */
export async function untilAllFinal(
  db: Client,
  since: number,
  withinSeconds: number,
): Promise<number | null> {
  const deadline = performance.now() + withinSeconds * 1000;
  while (performance.now() < deadline) {
    const { rows } = await db.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM orders WHERE status = 'PENDING_PAYMENT'`,
    );
    if (rows[0].waiting === 0) return (performance.now() - since) / 1000;
    await sleep(100);
  }
  return null;
}

interface Outcomes {
  paid: number;
  failed: number;
  failedByOverload: number;
  settledPerSecond: number | null;
}

export async function outcomesOf(db: Client, sku: string): Promise<Outcomes> {
  const { rows } = await db.query<Outcomes & { settle_seconds: number | null; settled: number }>(
    `SELECT count(*) FILTER (WHERE o.status = 'PAID')::int AS paid,
            count(*) FILTER (WHERE o.status IN ('PAYMENT_FAILED', 'FRAUD_REJECTED'))::int AS failed,
            count(*) FILTER (WHERE p.status = 'ERROR'
                               AND p.reasons::text ~ '(overloaded|timed out)')::int
              AS "failedByOverload",
            count(p.id)::int AS settled,
            extract(epoch FROM max(p.created_at) - min(p.created_at))::float AS settle_seconds
       FROM orders o JOIN order_lines l ON l.order_id = o.id AND l.sku = $1
       LEFT JOIN payments p ON p.order_id = o.id`,
    [sku],
  );
  const { paid, failed, failedByOverload, settled, settle_seconds } = rows[0];
  const settledPerSecond = settle_seconds ? settled / settle_seconds : null;
  return { paid, failed, failedByOverload, settledPerSecond };
}

/** The accepted orders' p99 latency, by the second each shopper was due. */
function acceptP99PerSecond(answers: Answer[], perSecond: number): (number | null)[] {
  const seconds: number[][] = [];
  answers.forEach((answer, index) => {
    const second = Math.floor(index / perSecond);
    seconds[second] ??= [];
    if (answer.outcome === 'accepted') seconds[second].push(answer.latencyMs);
  });
  return Array.from(seconds, (latencies) => percentile(latencies ?? [], 0.99));
}

/** Payments of `sku`'s orders recorded each second, counted from its first order. */
async function settledPerSecondOf(db: Client, sku: string): Promise<number[]> {
  const { rows } = await db.query<{ second: number; settled: number }>(
    `WITH sale AS (SELECT o.id, o.created_at FROM orders o
                     JOIN order_lines l ON l.order_id = o.id AND l.sku = $1),
          start AS (SELECT min(created_at) AS at FROM sale)
     SELECT floor(extract(epoch FROM p.created_at - start.at))::int AS second,
            count(*)::int AS settled
       FROM payments p JOIN sale ON sale.id = p.order_id CROSS JOIN start
      GROUP BY 1 ORDER BY 1`,
    [sku],
  );
  const settled: number[] = [];
  for (const { second, settled: count } of rows) settled[second] = count;
  return Array.from(settled, (count) => count ?? 0);
}

/** Reads the worker's payment permit limit once a second until stopped. */
export function samplePermitLimit(worker: AppProcess): { stop: () => Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const sampling = (async () => {
    while (running) {
      const next = sleep(1000);
      try {
        const metrics = await (await fetch(`${worker.url}/metrics`)).text();
        samples.push(seriesValue(metrics, 'backpressure_permit_limit{topic="payment.order"}') ?? 0);
      } catch {
        samples.push(0);
      }
      await next;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await sampling;
      return samples;
    },
  };
}

/**
 * The sale's invariants, from the database and the gateway's own ledger: units sold or held
 * beyond the stock, units gone astray, accepted orders missing or never settled, and charges
 * beyond one per paid order (in total: the simulator counts its charges, not whose they are).
 */
async function checkInvariants(
  db: Client,
  scenario: Scenario,
  acceptedOrderIds: string[],
  chargesAtGateway: number,
): Promise<SaleResult['invariants']> {
  const { rows: stock } = await db.query<{ held: number; shelf: number }>(
    `SELECT (SELECT coalesce(sum(l.quantity), 0)::int FROM order_lines l
               JOIN orders o ON o.id = l.order_id
              WHERE l.sku = $1 AND o.status IN ('PAID', 'PENDING_PAYMENT')) AS held,
            (SELECT stock FROM products WHERE sku = $1) AS shelf`,
    [SKU],
  );
  const { held, shelf } = stock[0];
  // Accepted and not there, or there (answered or not: a shopper may have given up waiting)
  // and never settled.
  const { rows: lost } = await db.query<{ lost: number }>(
    `SELECT (SELECT count(*)::int FROM unnest($1::uuid[]) AS accepted(id)
              WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = accepted.id))
          + (SELECT count(*)::int FROM orders WHERE status = 'PENDING_PAYMENT') AS lost`,
    [acceptedOrderIds],
  );
  const { rows: charges } = await db.query<{ paid: number; twice: number }>(
    `SELECT (SELECT count(*)::int FROM orders WHERE status = 'PAID') AS paid,
            (SELECT count(*)::int FROM (SELECT order_id FROM payments WHERE status = 'APPROVED'
                GROUP BY order_id HAVING count(*) > 1) AS twice) AS twice`,
  );
  return {
    oversoldUnits: Math.max(0, held - scenario.stock),
    unitsUnaccounted: scenario.stock - shelf - held,
    lostOrders: lost[0].lost,
    doubleCharges: Math.max(0, chargesAtGateway - charges[0].paid) + charges[0].twice,
  };
}

/** Charges the simulated gateway holds, summed over the processes that ran payments. */
async function chargesHeld(apps: AppProcess[]): Promise<number> {
  let total = 0;
  for (const app of apps) {
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    const charges = seriesValue(metrics, 'payment_gateway_simulator_charges');
    if (charges === null) throw new Error(`${app.url}/metrics has no simulator charges`);
    total += charges;
  }
  return total;
}

/** The process's resident-memory high-water mark (Linux), in MiB. */
async function residentPeakMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return kilobytes ? Math.round(Number(kilobytes[1]) / 1024) : NaN;
}
