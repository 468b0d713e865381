import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { freshDatabase } from '../test/support/fresh-database';
import { PostgresWaits, postgresWaitSampler } from './postgres-waits';
import { CpuSplit, cpuMeter } from './cpu';
import { offerLoad, percentile } from './load';
import {
  fillCarts,
  Layout,
  SaleBench,
  shopperIds,
  startApps,
  stockFor,
  stopApps,
  untilAllFinal,
} from './sale';

/** One step of the climb: a rate offered for a few seconds, and how the app answered. */
export interface CapacityStep {
  offeredPerSecond: number;
  accepted: number;
  errors: number;
  p99Ms: number | null;
  /** CPU seconds per party over the step, and the step's length, for shares of the machine. */
  cpuSeconds: CpuSplit;
  /** Absent in reports from before PostgreSQL's waits were sampled. */
  postgresWaits?: PostgresWaits;
  seconds: number;
}

/**
 * What pays during the climb: a gateway so fast and wide that every accepted order settles at
 * once beside the accepting (the machine's cores shared by both), or the sale's gateway, whose
 * pace the payments wait for while the accepting runs ahead of it, as in a flash sale.
 */
export type ClimbGateway = 'never the limit' | "the sale's";

export interface CapacityResult {
  processes: string;
  /** Absent in reports from before the sale's gateway was climbed against: 'never the limit'. */
  gateway?: ClimbGateway;
  /** The highest offered rate answered with p99 within the bound and no error (at one of its tries); null: none. */
  heldPerSecond: number | null;
  p99BoundMs: number;
  steps: CapacityStep[];
}

/** The climb: from `from`/s, × `factor` a step, each `seconds` long, until p99 or errors give. */
export interface Climb {
  from: number;
  factor: number;
  seconds: number;
  p99BoundMs: number;
  /** No step goes past this rate (a multiple of pgbench's, so a fast machine still stops). */
  ceiling: number;
  /**
   * Steps tried, once the climb gives, halfway (geometrically) between the highest rate held and
   * the lowest given up: each halves the step's factor, so one slow second moves the figure less.
   */
  refinements: number;
}

/** A gateway so fast and wide that it is never the limit. */
export const FAST_GATEWAY = { latencyMs: 5, capacity: 1000 };
const SKU = 'CAPACITY-TEE';
const WARM_UP_PER_SECOND = 50;

/**
 * Raises the offered rate on an async app (one process, or API and worker apart) step by step
 * until the accept p99 passes the bound or an order is answered with an error, timing each
 * party's CPU over each step.
 */
export async function climb(
  bench: SaleBench,
  split: boolean,
  gateway: ClimbGateway,
  plan: Climb,
  brokerPid: number | null,
): Promise<CapacityResult> {
  const layout: Layout = { mode: 'async', split, gatewayToldToApp: true };
  const paced = gateway === "the sale's";
  const database = `peak_bench_capacity_${split ? 'split' : 'one'}${paced ? '_paced' : ''}`;
  await freshDatabase(bench.databaseUrl('postgres'), database);
  const apps = await startApps(bench, layout, database, paced ? bench.gateway : FAST_GATEWAY);
  const db = new Client({ connectionString: bench.databaseUrl(database) });
  // Against the sale's gateway the payments fall behind by design; waiting for them to settle
  // between steps would take minutes and measure nothing.
  const settleBetweenSteps = async () => {
    if (!paced) await untilAllFinal(db, performance.now(), 30);
  };
  const steps: CapacityStep[] = [];
  try {
    await db.connect();
    const rates: number[] = [];
    for (let rate = plan.from; rate <= plan.ceiling; rate *= plan.factor)
      rates.push(Math.round(rate));
    const warmUpShoppers = shopperIds('climb-warm-up', WARM_UP_PER_SECOND * plan.seconds);
    await stockFor(db, { sku: SKU, name: 'Capacity tee', priceCents: 1900 }, warmUpShoppers);
    // Shoppers for each try of each step (a step may be tried twice, see below): a step's own
    // rate for its length, each with a unit on the shelf and in the cart, stocked before it.
    const shoppersFor = async (rate: number, attempt: 1 | 2) => {
      const shoppers = shopperIds(`climb-${rate}-${attempt}`, Math.round(rate * plan.seconds));
      await db.query(`UPDATE products SET stock = stock + $2 WHERE sku = $1`, [
        SKU,
        shoppers.length,
      ]);
      await fillCarts(db, shoppers, SKU);
      return shoppers;
    };
    const appPids = Object.fromEntries(
      Object.entries(apps.named).map(([role, app]) => [role, [app.pid]]),
    );
    const warmUp = { url: apps.api.url, perSecond: WARM_UP_PER_SECOND, timeoutMs: bench.timeoutMs };
    await offerLoad({ ...warmUp, shoppers: warmUpShoppers });
    await settleBetweenSteps();
    const step = async (rate: number, attempt: 1 | 2): Promise<CapacityStep> => {
      const meter = cpuMeter({
        pids: { ...appPids, ...(brokerPid ? { kafka: [brokerPid] } : {}) },
        commands: { postgres: 'postgres' },
        self: 'load generator',
      });
      const shoppers = await shoppersFor(rate, attempt);
      const waits = postgresWaitSampler(db, database);
      const started = performance.now();
      const { answers } = await offerLoad({
        url: apps.api.url,
        shoppers,
        perSecond: rate,
        timeoutMs: bench.timeoutMs,
      });
      const cpuSeconds = await meter.stop();
      const seconds = (performance.now() - started) / 1000;
      const postgresWaits = await waits.stop();
      const accepted = answers.filter((a) => a.outcome === 'accepted');
      const result: CapacityStep = {
        offeredPerSecond: rate,
        accepted: accepted.length,
        errors: answers.length - accepted.length,
        p99Ms: percentile(
          accepted.map((a) => a.latencyMs),
          0.99,
        ),
        cpuSeconds,
        postgresWaits,
        seconds,
      };
      steps.push(result);
      bench.log(
        `capacity ${split ? 'split' : 'one process'}, gateway ${gateway}: ${rate}/s, p99 ` +
          `${result.p99Ms?.toFixed(1) ?? '—'} ms, ${result.errors} not accepted`,
      );
      return result;
    };
    const held = async (rate: number) => {
      if (holds(await step(rate, 1), plan.p99BoundMs)) return true;
      // On a shared machine one pause (another tenant, a GC, a checkpoint) can push a step's
      // p99 past the bound: a rate is given up only when a second try fails too.
      await settleBetweenSteps();
      return holds(await step(rate, 2), plan.p99BoundMs);
    };
    let highestHeld: number | null = null;
    let givenUp: number | null = null;
    for (const rate of rates) {
      if (!(await held(rate))) {
        givenUp = rate;
        break;
      }
      highestHeld = rate;
    }
    for (let refined = 0; refined < plan.refinements; refined++) {
      if (highestHeld === null || givenUp === null) break;
      const between = Math.round(Math.sqrt(highestHeld * givenUp));
      if (between <= highestHeld || between >= givenUp) break;
      await settleBetweenSteps();
      if (await held(between)) highestHeld = between;
      else givenUp = between;
    }
  } finally {
    await db.end();
    await stopApps(apps.all);
  }
  const heldSteps = steps.filter((step) => holds(step, plan.p99BoundMs));
  return {
    processes: split ? 'api + worker' : 'one',
    gateway,
    heldPerSecond:
      heldSteps.length > 0 ? Math.max(...heldSteps.map((step) => step.offeredPerSecond)) : null,
    p99BoundMs: plan.p99BoundMs,
    steps,
  };
}

function holds(step: CapacityStep, p99BoundMs: number): boolean {
  return step.errors === 0 && step.p99Ms !== null && step.p99Ms <= p99BoundMs;
}
