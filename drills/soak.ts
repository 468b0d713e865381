import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seriesValue } from '../test/support/metrics';
import { lineChartOf } from './line-chart';
import { Fleet } from './fleet';
import { DrillOrders, stockTheDrill, withDatabase } from './observe';
import { SteadyLoad } from './steady-load';

export interface SoakPlan {
  fleet: Fleet;
  databaseUrl: string;
  perSecond: number;
  minutes: number;
  out: string;
  adminToken: string;
  log: (line: string) => void;
  setMode(mode: 'sync' | 'async'): Promise<void>;
}

/** One look at the fleet during the soak. */
export interface SoakSample {
  atSeconds: number;
  /** Resident memory (MiB) and open files, per instance. */
  memoryMb: Record<string, number>;
  openFiles: Record<string, number>;
  openStreams: number;
  tableSizesMb: Record<string, number>;
  consumerLag: number | null;
  accepted: number;
  settled: number;
  waiting: number;
  /** How long the oldest order still waiting has waited: how far settlement runs behind. */
  settlementBehindSeconds: number;
}

const TABLES = [
  'orders',
  'order_timeline',
  'payments',
  'notifications',
  'outbox',
  'processed_messages',
];
const SAMPLE_EVERY_MS = 10_000;

/**
 * Sustained async load for the minutes asked, sampled every 10 s: what grows (memory, files,
 * streams, tables) and whether settlement keeps up with acceptance.
 */
export async function runSoak(plan: SoakPlan): Promise<void> {
  const prefix = `soak-${Date.now()}-`;
  const shoppers = Array.from(
    { length: Math.ceil(plan.perSecond * plan.minutes * 60) },
    (_, n) => `${prefix}${n + 1}`,
  );
  const orders: DrillOrders = {
    shopperPrefix: prefix,
    sku: 'SOAK-SNEAKER',
    stock: shoppers.length,
  };
  await plan.setMode('async');
  await withDatabase(plan.databaseUrl, (db) => stockTheDrill(db, orders, shoppers));
  plan.log(`soak: ${plan.perSecond} orders/s for ${plan.minutes} min, sampled every 10 s`);
  const load = new SteadyLoad(
    () => plan.fleet.apis.map((api) => api.app.url),
    shoppers,
    plan.perSecond,
    10_000,
  );
  const started = Date.now();
  load.start();
  const samples: SoakSample[] = [];
  while (Date.now() - started < plan.minutes * 60_000) {
    await sleep(SAMPLE_EVERY_MS);
    const sample = await sampleOf(plan, orders, (Date.now() - started) / 1000);
    samples.push(sample);
    plan.log(
      `soak ${Math.round(sample.atSeconds)} s: accepted ${sample.accepted}, settled ` +
        `${sample.settled}, behind ${sample.settlementBehindSeconds} s, lag ` +
        `${sample.consumerLag ?? '?'}, memory ${JSON.stringify(sample.memoryMb)} MiB`,
    );
  }
  await load.stop();

  await mkdir(plan.out, { recursive: true });
  await writeFile(
    join(plan.out, 'soak.json'),
    `${JSON.stringify({ ranAt: new Date().toISOString(), perSecond: plan.perSecond, minutes: plan.minutes, samples }, null, 2)}\n`,
  );
  await writeFile(join(plan.out, 'soak.md'), markdownOf(plan, samples));
  await writeFile(join(plan.out, 'soak.svg'), soakChartOf(samples, plan.perSecond));
  plan.log(`soak written to ${plan.out}/soak.{md,json,svg}`);
}

/**
 * How far settlement ran behind acceptance, and the consumer lag, over the soak's seconds: each
 * sample (one every 10 s) holds until the next.
 */
export function soakChartOf(samples: SoakSample[], perSecond: number): string {
  const held = (value: (sample: SoakSample) => number | null) => {
    const series: (number | null)[] = Array.from(
      { length: (samples.at(-1)?.atSeconds ?? 0) + 1 },
      () => null,
    );
    samples.forEach((sample, at) => {
      const until = samples[at + 1]?.atSeconds ?? sample.atSeconds + 1;
      for (let second = sample.atSeconds; second < until; second++) series[second] = value(sample);
    });
    return series;
  };
  return lineChartOf([
    {
      title: 'soak: seconds settlement runs behind acceptance',
      unit: `${perSecond} orders/s offered, sampled every 10 s`,
      lines: [
        { name: 'behind', color: '#2f6fb0', perSecond: held((s) => s.settlementBehindSeconds) },
      ],
    },
    {
      title: 'soak: consumer lag',
      unit: 'messages',
      lines: [{ name: 'lag', color: '#e0473c', perSecond: held((s) => s.consumerLag) }],
    },
  ]);
}

async function sampleOf(plan: SoakPlan, orders: DrillOrders, atSeconds: number) {
  const memoryMb: Record<string, number> = {};
  const openFiles: Record<string, number> = {};
  for (const member of plan.fleet.all) {
    memoryMb[member.name] = await residentMb(member.app.pid);
    openFiles[member.name] = (await readdir(`/proc/${member.app.pid}/fd`)).length;
  }
  let openStreams = 0;
  for (const api of plan.fleet.apis) {
    const metrics = await (await fetch(`${api.app.url}/metrics`)).text();
    openStreams += seriesValue(metrics, 'checkout_order_streams_open') ?? 0;
  }
  const figures = (await (
    await fetch(`${plan.fleet.apis[0].app.url}/admin/figures`, {
      headers: { authorization: `Bearer ${plan.adminToken}` },
    })
  )
    .json()
    .catch(() => ({}))) as { kafka?: { consumerLag?: number | null } };
  const database = await withDatabase(plan.databaseUrl, async (db) => {
    const sizes = await db.query<{ name: string; bytes: string }>(
      `SELECT relname AS name, pg_total_relation_size(oid)::text AS bytes FROM pg_class
        WHERE relname = ANY($1::text[]) AND relkind = 'r'`,
      [TABLES],
    );
    const { rows } = await db.query<{ accepted: number; waiting: number; oldest: number | null }>(
      `SELECT count(*)::int AS accepted,
              count(*) FILTER (WHERE status = 'PENDING_PAYMENT')::int AS waiting,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'PENDING_PAYMENT'))
                AS oldest
         FROM orders WHERE user_id LIKE $1`,
      [`${orders.shopperPrefix}%`],
    );
    return { sizes: sizes.rows, ...rows[0] };
  });
  return {
    atSeconds: Math.round(atSeconds),
    memoryMb,
    openFiles,
    openStreams,
    tableSizesMb: Object.fromEntries(
      database.sizes.map(({ name, bytes }) => [name, Math.round(Number(bytes) / 2 ** 20)]),
    ),
    consumerLag: figures.kafka?.consumerLag ?? null,
    accepted: database.accepted,
    settled: database.accepted - database.waiting,
    waiting: database.waiting,
    settlementBehindSeconds: Math.round(Number(database.oldest ?? 0)),
  };
}

async function residentMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return kilobytes ? Math.round(Number(kilobytes[1]) / 1024) : NaN;
}

function markdownOf(plan: SoakPlan, samples: SoakSample[]): string {
  const names = plan.fleet.all.map((member) => member.name);
  return [
    '# Soak',
    '',
    `Command: \`npm run drill -- soak --minutes ${plan.minutes} --rate ${plan.perSecond}\`, ` +
      `run ${new Date().toISOString()}. Async mode, the drills' fleet.`,
    '',
    '![Seconds settlement runs behind acceptance](soak.svg)',
    '',
    `| s | accepted | settled | behind (s) | lag | streams | ${names.map((n) => `${n} MiB / files`).join(' | ')} | ${TABLES.join(' | ')} (MiB) |`,
    `|---|---|---|---|---|---|${names.map(() => '---|').join('')}${TABLES.map(() => '---|').join('')}`,
    ...samples.map(
      (s) =>
        `| ${s.atSeconds} | ${s.accepted} | ${s.settled} | ${s.settlementBehindSeconds} | ` +
        `${s.consumerLag ?? '?'} | ${s.openStreams} | ` +
        names.map((n) => `${s.memoryMb[n]} / ${s.openFiles[n]}`).join(' | ') +
        ' | ' +
        TABLES.map((t) => s.tableSizesMb[t] ?? '?').join(' | ') +
        ' |',
    ),
    '',
  ].join('\n');
}
