import { setTimeout as sleep } from 'node:timers/promises';
import { Fault, FaultContext } from './faults';
import {
  DrillOrders,
  longestGapSeconds,
  ordersOf,
  paymentsOf,
  perSecond,
  stockAndPaymentsOf,
  stockTheDrill,
  untilAllFinal,
  withDatabase,
} from './observe';
import { SteadyLoad } from './steady-load';
import { GatewaySimulatorProcess } from '../test/support/gateway-simulator';

/** What every drill of one run shares. */
export interface DrillBench {
  context: FaultContext;
  databaseUrl: string;
  /** The fleet's one payment gateway: its ledger is the truth about charges. */
  gateway: GatewaySimulatorProcess;
  /** Orders per second the shoppers place, over all API instances. */
  perSecond: number;
  /** Load before the fault and after its end, in seconds. */
  leadSeconds: number;
  tailSeconds: number;
  /** How long to wait for the last order to become final before calling it lost. */
  finalWithinSeconds: number;
}

/** One drill's figures, as printed and written to docs/drills/results.{md,json}. */
export interface DrillResult {
  drill: string;
  fault: string;
  mode: 'sync' | 'async';
  offeredPerSecond: number;
  faultSeconds: number;
  /** The longest time with no completed payment while orders waited. */
  outageSeconds: number;
  /** The longest any order of the drill waited from acceptance to its final state. */
  longestOrderWaitSeconds: number | null;
  /** From the fault's end until the first payment completed after it; null: none. */
  paymentsResumedAfterFaultSeconds: number | null;
  /** From the fault's end until every order accepted before it was final; null: never. */
  allFinalAfterFaultSeconds: number | null;
  /** The shoppers' answers by HTTP status (0: no answer in time), during the fault and in all. */
  answersDuringFault: Record<string, number>;
  answers: Record<string, number>;
  orders: { accepted: number; paid: number; failed: number };
  invariants: {
    acceptedOrdersLost: number;
    ordersChargedTwice: number;
    unitsOversold: number;
    /** Charges the gateway holds minus orders paid: above 0, shoppers paid for nothing. */
    chargesBeyondPaidOrders: number;
  };
  notes: Record<string, number | string | null>;
  /** The fault's aim, and whether this run met it with every invariant at 0. */
  aim: { text: string; met: boolean };
  /** Completed payments per second from the start of the load, and the fault's window in it. */
  paymentsPerSecond: number[];
  window: { start: number; end: number };
}

/**
 * Runs one fault under steady load: shoppers arrive for a while, the fault happens, shoppers
 * keep arriving for a while after its end, then every order is awaited and the drill's
 * figures are read from the database and the gateway's ledger.
 */
export async function runDrill(bench: DrillBench, fault: Fault, run: number): Promise<DrillResult> {
  const { context } = bench;
  const prefix = `drill${run}-${fault.name}-`;
  const maxSeconds = bench.leadSeconds + bench.tailSeconds + 90;
  const shoppers = Array.from(
    { length: Math.ceil(bench.perSecond * maxSeconds) },
    (_, n) => `${prefix}${n + 1}`,
  );
  const orders: DrillOrders = {
    shopperPrefix: prefix,
    sku: `DRILL-${run}-${fault.name}`.toUpperCase().slice(0, 64),
    stock: shoppers.length,
  };
  await context.setMode(fault.mode);
  await withDatabase(bench.databaseUrl, (db) => stockTheDrill(db, orders, shoppers));
  const ledgerBefore = await bench.gateway.ledger();

  context.log(`${fault.name}: ${fault.summary}; ${bench.perSecond} orders/s in ${fault.mode} mode`);
  const load = new SteadyLoad(
    () => context.fleet.apis.map((api) => api.app.url),
    shoppers,
    bench.perSecond,
    10_000,
    (arrival) => fault.watch?.accepted(arrival, context),
  );
  const loadStartedAt = Date.now();
  load.start();
  await sleep(bench.leadSeconds * 1000);
  const window = await fault.inject(context);
  await sleep(bench.tailSeconds * 1000);
  const arrivals = await load.stop();
  context.log(`${fault.name}: load stopped; waiting for every order to be final`);
  const allFinal = await untilAllFinal(bench.databaseUrl, orders, bench.finalWithinSeconds * 1000);
  if (!allFinal)
    context.log(`${fault.name}: orders still waiting after ${bench.finalWithinSeconds} s`);

  const { records, payments, stock } = await withDatabase(bench.databaseUrl, async (db) => ({
    records: await ordersOf(db, orders),
    payments: await paymentsOf(db, orders),
    stock: await stockAndPaymentsOf(db, orders),
  }));
  const paymentTimes = payments.map((payment) => payment.at);
  const ledgerAfter = await bench.gateway.ledger();
  const watched = fault.watch
    ? await fault.watch.settle(new Map(payments.map((p) => [p.orderId, p.at])))
    : {};

  const accepted = arrivals.filter((a) => a.outcome === 'accepted');
  const known = new Set(records.map((record) => record.id));
  const lastFinal = Math.max(window.endedAt, ...records.map((r) => r.finalAt ?? 0));
  const beforeFaultEnd = records.filter((record) => record.createdAt <= window.endedAt);
  const waits = records.filter((r) => r.finalAt !== null).map((r) => r.finalAt! - r.createdAt);
  const byStatus = (from: number, to: number) =>
    countBy(arrivals.filter((a) => a.dueAt >= from && a.dueAt <= to).map((a) => a.status));
  const endOfLoad = Math.max(lastFinal, paymentTimes.at(-1) ?? 0);
  const resumedAt = paymentTimes.find((at) => at >= window.endedAt);

  const result: DrillResult = {
    drill: fault.name,
    fault: fault.summary,
    mode: fault.mode,
    offeredPerSecond: bench.perSecond,
    faultSeconds: round((window.endedAt - window.startedAt) / 1000),
    outageSeconds: round(longestGapSeconds(paymentTimes, loadStartedAt + 1000, lastFinal)),
    longestOrderWaitSeconds: waits.length ? round(Math.max(...waits) / 1000) : null,
    paymentsResumedAfterFaultSeconds:
      resumedAt === undefined ? null : round((resumedAt - window.endedAt) / 1000),
    allFinalAfterFaultSeconds: beforeFaultEnd.every((r) => r.finalAt !== null)
      ? round(Math.max(0, ...beforeFaultEnd.map((r) => r.finalAt! - window.endedAt)) / 1000)
      : null,
    answersDuringFault: byStatus(window.startedAt, window.endedAt),
    answers: byStatus(0, Infinity),
    orders: {
      accepted: accepted.length,
      paid: records.filter((r) => r.status === 'PAID').length,
      failed: records.filter((r) => r.status !== 'PAID' && r.status !== 'PENDING_PAYMENT').length,
    },
    invariants: {
      acceptedOrdersLost:
        accepted.filter((a) => a.orderId && !known.has(a.orderId)).length +
        records.filter((r) => r.finalAt === null).length,
      ordersChargedTwice:
        ledgerAfter.keysChargedMoreThanOnce.length -
        ledgerBefore.keysChargedMoreThanOnce.length +
        stock.approvedTwice,
      unitsOversold: Math.max(0, stock.held - orders.stock),
      chargesBeyondPaidOrders: ledgerAfter.charges - ledgerBefore.charges - stock.paid,
    },
    notes: { ...window.notes, ...watched },
    paymentsPerSecond: perSecond(
      paymentTimes,
      loadStartedAt,
      Math.ceil((endOfLoad - loadStartedAt) / 1000) + 1,
    ),
    window: {
      start: round((window.startedAt - loadStartedAt) / 1000),
      end: round((window.endedAt - loadStartedAt) / 1000),
    },
    aim: { text: fault.aim.text, met: false },
  };
  result.aim.met =
    fault.aim.met(result) && Object.values(result.invariants).every((count) => count === 0);
  return result;
}

function countBy(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
