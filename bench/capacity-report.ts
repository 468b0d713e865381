import { CapacityResult, FAST_GATEWAY } from './capacity';
import { waitsText } from './postgres-waits';
import { FlashSaleReport } from './report';
import { SettleResult } from './settle';

const rate = (value: number) => value.toFixed(1);
/** How the report names an app layout; a layout it does not list is named as it is. */
const PROCESSES: Record<string, string> = {
  one: 'one process',
  'api + worker': 'API and worker apart',
};
const percent = (part: number, whole: number) =>
  whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '—';

/** The capacity climb and the settle drain, against the same run's pgbench rate. */
export function capacityMarkdownOf(report: FlashSaleReport): string[] {
  const pgbench = report.limits.postgresAcceptsPerSecond;
  const lines: string[] = [];
  for (const climb of report.capacity ?? []) {
    const held = climb.heldPerSecond;
    lines.push(
      `## Accept capacity, async, ${PROCESSES[climb.processes] ?? climb.processes}, ` +
        `${climb.gateway === "the sale's" ? "the sale's gateway" : 'a gateway never the limit'}`,
      ``,
      climb.gateway === "the sale's"
        ? `Payments wait for the sale's gateway (${report.gateway.ordersPerSecond.toFixed(0)} orders/s) ` +
            `while accepting runs ahead of it, as in a flash sale: the climb measures accepting.`
        : `Every accepted order settles at once beside the accepting, on a gateway bearing far more ` +
            `(${FAST_GATEWAY.capacity} at once, ${FAST_GATEWAY.latencyMs} ms each): the climb measures accepting and settling together.`,
      ``,
      `Highest rate held (p99 ≤ ${climb.p99BoundMs} ms, no error): ` +
        (held === null
          ? 'none'
          : `${rate(held)} orders/s, ${percent(held, pgbench)} of pgbench's ${rate(pgbench)}`) +
        ` — ${held !== null && held >= 0.6 * pgbench ? 'met' : 'not met'} (aim: 60 % of pgbench or more).`,
      ``,
      `Each step offers its rate for a few seconds; a step past the bound is tried once more, ` +
        `and the climb gives when both tries fail. Then the rate halfway (geometrically) between ` +
        `the highest held and the lowest given up is tried the same way, twice over.`,
      ``,
      ...stepTable(climb, report.machine.cpus),
      ``,
    );
  }
  if ((report.settle ?? []).length > 0) {
    lines.push(
      `## Settle pace`,
      ``,
      `A burst of orders accepted faster than they settle, on a gateway bearing far more ` +
        `(${report.settleGateway?.capacity} at once, ${report.settleGateway?.latencyMs} ms each); ` +
        `settled orders/s from the first payment recorded to the last.`,
      ``,
      `| processes | orders | settled orders/s | per worker | per worker / pgbench | paid / failed | payment permit limit, lowest / highest |`,
      `|---|---|---|---|---|---|---|`,
      ...(report.settle ?? []).map(
        (s) =>
          `| ${s.processes} | ${s.orders} | ${s.settledPerSecond === null ? '—' : rate(s.settledPerSecond)} | ` +
          `${s.settledPerSecondPerWorker === null ? '—' : rate(s.settledPerSecondPerWorker)} | ` +
          `${s.settledPerSecondPerWorker === null ? '—' : percent(s.settledPerSecondPerWorker, pgbench)} | ` +
          `${s.paid} / ${s.paymentFailed} | ${limitRange(s.permitLimit)} |`,
      ),
      ``,
      ...drainCpu(report.settle ?? []),
    );
  }
  return lines;
}

/** The permit limit's range over a drain; reports from before it was sampled have none. */
function limitRange(samples: number[] | undefined): string {
  const sampled = (samples ?? []).filter((limit) => limit > 0);
  return sampled.length === 0 ? '—' : `${Math.min(...sampled)} / ${Math.max(...sampled)}`;
}

/** Who spent the cores while each drain ran, after its burst was accepted. */
function drainCpu(settled: SettleResult[]): string[] {
  // Reports from before the drain was metered have none.
  const metered = settled.filter((s) => s.drain);
  if (metered.length === 0) return [];
  return [
    `CPU while draining, from the end of the burst, or on a backlog from the worker's start ` +
      `(100 % is one core):`,
    ``,
    ...metered.map(
      (s) =>
        `- ${PROCESSES[s.processes] ?? s.processes}, ` +
        `${s.drain.seconds.toFixed(1)} s: ` +
        Object.entries(s.drain.cpuSeconds)
          .map(([party, seconds]) => `${party} ${((100 * seconds) / s.drain.seconds).toFixed(0)} %`)
          .join(', '),
    ),
    ``,
  ];
}

/** One row a step: the rate, how it was answered, and who spent the machine's two cores. */
function stepTable(climb: CapacityResult, cpus: number): string[] {
  const parties = [...new Set(climb.steps.flatMap((step) => Object.keys(step.cpuSeconds)))];
  return [
    `| offered/s | accepted | not accepted | p99 ms | ${parties.map((p) => `CPU ${p}`).join(' | ')} | PostgreSQL backends |`,
    `|---|---|---|---|${parties.map(() => '---').join('|')}|---|`,
    ...climb.steps.map(
      (step) =>
        `| ${step.offeredPerSecond} | ${step.accepted} | ${step.errors} | ` +
        `${step.p99Ms === null ? '—' : step.p99Ms.toFixed(1)} | ` +
        parties
          .map((party) => `${((100 * (step.cpuSeconds[party] ?? 0)) / step.seconds).toFixed(0)} %`)
          .join(' | ') +
        ` | ${waitsText(step.postgresWaits)} |`,
    ),
    ``,
    `CPU: seconds spent over the step's length (100 % is one core of the machine's ` +
      `${cpus} in all), from /proc/<pid>/stat; PostgreSQL sums every postgres process.`,
    `PostgreSQL backends: how many of the app's backends on average were running, waiting on ` +
      `each wait event (Lock: a row or transaction another holds; LWLock:WALWrite, IO:WALSync: ` +
      `the log's flush), or idle in a transaction, waiting for the app (pg_stat_activity, read ` +
      `every 20 ms).`,
  ];
}
