/**
 * The flash-sale benchmark: `npm run bench:flash-sale`. Runs on loopback only and stops by
 * itself (DEADLINE_MS). It starts its own Kafka broker on port 9192 and uses PostgreSQL at
 * BENCH_PG (default postgres://postgres@127.0.0.1:5432/postgres), in databases named peak_bench_*.
 * Do not run it beside `npm test`: both load the same two cores.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { urlOfDatabase } from '../test/support/database-url';
import { freshDatabase } from '../test/support/fresh-database';
import { KafkaBroker } from '../test/support/kafka-broker';
import { measureKafka, measurePostgres } from './limits';
import { svgOf } from '../drills/chart';
import { CapacityResult, climb } from './capacity';
import { headlineChart } from './headline';
import { comparisonTableOf } from './ratios';
import { aimOf, FlashSaleReport, markdownOf } from './report';
import { settle, SETTLE_GATEWAY, SETTLE_LAYOUTS, SettleResult } from './settle';
import { runningApps, runSale, SaleBench, SaleResult, Scenario } from './sale';

const DEADLINE_MS = 20 * 60_000;
const BROKER_PORT = 9192;
const ROOT = join(__dirname, '..');
const BROKER_DIR = join(ROOT, '.kafka', 'bench');
const OUT_DIR = join(ROOT, 'docs', 'benchmarks');
/** The PostgreSQL server (any database on it); options such as ?host=/run/postgresql are kept. */
const SERVER = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseUrl = (database: string) => urlOfDatabase(SERVER, database);

const gateway = { latencyMs: 100, capacity: 3 };
const gatewayPerSecond = (gateway.capacity * 1000) / gateway.latencyMs;
const SALE_SECONDS = 5;
/** Nine shoppers in ten get a unit: the sale sells out just before the last ones arrive. */
const sale = (
  name: string,
  mode: Scenario['mode'],
  split: boolean,
  multiple: number,
  { seconds = SALE_SECONDS, gatewayToldToApp = true } = {},
): Scenario => {
  const perSecond = gatewayPerSecond * multiple;
  const shoppers = perSecond * seconds;
  const stock = Math.floor(shoppers * 0.9);
  return { name, mode, split, perSecond, shoppers, stock, gatewayToldToApp };
};
const ALL_SCENARIOS: Scenario[] = [
  sale('sync ½×', 'sync', false, 0.5),
  sale('sync 1×', 'sync', false, 1),
  sale('sync 10×', 'sync', false, 10),
  sale('async 5×', 'async', false, 5),
  sale('async 10×', 'async', false, 10),
  sale('async 10× split', 'async', true, 10),
  // The app keeps its default ceiling and must find what the gateway bears by itself.
  sale('async 3× (gateway untold)', 'async', false, 3, { seconds: 10, gatewayToldToApp: false }),
];

/** BENCH_SALES=name,name runs only those sales (for profiling one); the report says so. */
const SCENARIOS = process.env.BENCH_SALES
  ? ALL_SCENARIOS.filter((s) => process.env.BENCH_SALES!.split(',').includes(s.name))
  : ALL_SCENARIOS;

/** BENCH_PHASES=capacity,settle,sales runs only those phases; the machine limits always run. */
const ALL_PHASES = ['capacity', 'settle', 'sales'];
const PHASES = process.env.BENCH_PHASES
  ? ALL_PHASES.filter((phase) => process.env.BENCH_PHASES!.split(',').includes(phase))
  : ALL_PHASES;

/**
 * Steps of 5 s from 20/s, × 1.3 each, up to 1.5 × pgbench's rate at most, then two steps
 * halving the last factor (1.14, then 1.07). It starts low: with a gateway that is never the
 * limit, settling runs beside accepting and shares the cores.
 */
const CLIMB = { from: 20, factor: 1.3, seconds: 5, p99BoundMs: 100, refinements: 2 };
/** A burst well past what a worker settles, long enough for its pace to show. */
const SETTLE_BURST = { orders: 3000, perSecond: 500 };

/** `--compare <report.json>`: the ratios of this run beside that one's (read before it is overwritten). */
const compareWith = (() => {
  const at = process.argv.indexOf('--compare');
  if (at < 0) return null;
  const path = process.argv[at + 1];
  if (!path || !existsSync(path))
    throw new Error(`--compare needs a report to read: ${path} is not one`);
  return JSON.parse(readFileSync(path, 'utf8')) as FlashSaleReport;
})();

const log = (line: string) =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  // A broker kept from an earlier run still holds its topics: a climb against the sale's
  // gateway ends with thousands of payments unpaid, which the same climb's worker would take up
  // the next run, paying for orders its fresh database never had, beside the figures it measures.
  // A broker a killed run left running is stopped first, or its storage would go from under it.
  const broker = new KafkaBroker(BROKER_PORT, BROKER_DIR);
  await broker.stop();
  await rm(BROKER_DIR, { recursive: true, force: true });
  const bench: SaleBench = {
    brokers: broker.brokers,
    databaseUrl,
    gateway,
    gatewayPerSecond,
    finalWithinSeconds: 180,
    timeoutMs: 10_000,
    log,
  };
  log(`starting a Kafka broker on ${broker.brokers}`);
  await broker.start();
  try {
    log('measuring the machine: PostgreSQL (pgbench) and Kafka (producer, acks=all)');
    const limits = await measureLimits(bench);
    const capacity: CapacityResult[] = [];
    if (PHASES.includes('capacity')) {
      const brokerPid = brokerPidOf();
      const plan = { ...CLIMB, ceiling: 1.5 * limits.postgresAcceptsPerSecond };
      for (const gateway of ['never the limit', "the sale's"] as const) {
        for (const split of [false, true]) {
          capacity.push(await climb(bench, split, gateway, plan, brokerPid));
        }
      }
    }
    const settled: SettleResult[] = [];
    if (PHASES.includes('settle')) {
      for (const processes of SETTLE_LAYOUTS) {
        settled.push(await settle(bench, processes, SETTLE_BURST, brokerPidOf()));
      }
    }
    const sales: SaleResult[] = [];
    if (PHASES.includes('sales')) {
      for (const scenario of SCENARIOS) sales.push(await runSale(bench, scenario));
    }
    const report: FlashSaleReport = {
      ranAt: new Date().toISOString(),
      command: 'npm run bench:flash-sale',
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.versions.node,
        postgres: await postgresVersion(),
      },
      gateway: { ...gateway, ordersPerSecond: gatewayPerSecond },
      limits,
      phases: [
        ...PHASES,
        ...(process.env.BENCH_SALES ? [`BENCH_SALES=${process.env.BENCH_SALES}`] : []),
      ],
      sales,
      ...(capacity.length > 0 ? { capacity } : {}),
      ...(settled.length > 0 ? { settle: settled, settleGateway: SETTLE_GATEWAY } : {}),
    };
    const markdown = markdownOf(report);
    await mkdir(OUT_DIR, { recursive: true });
    await writeFile(join(OUT_DIR, 'flash-sale.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(OUT_DIR, 'flash-sale.md'), markdown);
    for (const sale of sales.filter((s) => s.scenario.includes('untold'))) {
      await writeFile(join(OUT_DIR, 'permit-limit.svg'), permitLimitChart(sale));
    }
    const headline = headlineChart(sales);
    if (headline) await writeFile(join(OUT_DIR, 'headline.svg'), headline);
    console.log(`\n${markdown}`);
    if (compareWith) console.log(comparisonTableOf(compareWith, report));
    log(`written to ${join('docs', 'benchmarks', 'flash-sale.{json,md}')}`);
    const broken = sales.filter((s) => Object.values(s.invariants).some((count) => count !== 0));
    if (broken.length > 0) {
      log(`INVARIANTS BROKEN in ${broken.map((s) => s.scenario).join(', ')}`);
      process.exitCode = 1;
    }
    if (aimOf(report).some((line) => line.includes('not met'))) log('some aims are not met');
  } finally {
    log('stopping the Kafka broker');
    await broker.stop();
  }
}

/** The worker's permit limit a second at a time, the sale's arrivals shaded. */
function permitLimitChart(sale: SaleResult): string {
  return svgOf({
    title: `Payment permit limit in force: ${sale.scenario}`,
    unit: 'permits',
    perSecond: sale.permitLimit,
    window: { start: 0, end: sale.offered / sale.offeredPerSecond },
  });
}

async function measureLimits(bench: SaleBench) {
  const database = 'peak_bench_limits';
  await freshDatabase(SERVER, database);
  execFileSync(process.execPath, [join(ROOT, 'dist', 'database', 'migrate.js')], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: bench.databaseUrl(database) },
    stdio: 'ignore',
    timeout: 120_000,
  });
  const postgresClients = 10; // DATABASE_POOL_SIZE's default: what one app process may hold
  const postgresAcceptsPerSecond = await measurePostgres(
    bench.databaseUrl(database),
    postgresClients,
    5,
    3,
  );
  const kafkaMessagesPerSecond = await measureKafka(bench.brokers, 5);
  return { postgresAcceptsPerSecond, postgresClients, kafkaMessagesPerSecond };
}

/** The broker's JVM, for the CPU split; null when scripts/kafka.sh left no pid. */
function brokerPidOf(): number | null {
  try {
    return Number(readFileSync(join(BROKER_DIR, 'broker.pid'), 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

async function postgresVersion(): Promise<string> {
  const db = new Client({ connectionString: databaseUrl('postgres') });
  await db.connect();
  try {
    const { rows } = await db.query<{ server_version: string }>('SHOW server_version');
    return rows[0].server_version.split(' ')[0];
  } finally {
    await db.end();
  }
}

/** Past the deadline nothing is worth waiting for: kill what was started and leave. */
function stopAtDeadline(): void {
  setTimeout(() => {
    log(`deadline of ${DEADLINE_MS / 60_000} minutes passed: stopping`);
    for (const app of runningApps) process.kill(app.pid, 'SIGKILL');
    try {
      process.kill(Number(readFileSync(join(BROKER_DIR, 'broker.pid'), 'utf8')), 'SIGKILL');
    } catch {
      // no broker running
    }
    process.exit(2);
  }, DEADLINE_MS).unref();
}

stopAtDeadline();
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
