import { DrillResult } from './run-drill';

/** One run of `npm run drill`, as written to docs/drills/results.json. */
export interface DrillReport {
  ranAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; postgres: string };
  fleet: string;
  gateway: { latencyMs: number; capacity: number; ordersPerSecond: number };
  drills: DrillResult[];
}

const statuses = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([status, count]) => `${status === '0' ? 'no answer' : status}: ${count}`)
    .join(', ') || 'none';

const orDash = (value: number | null, unit = ' s') =>
  value === null ? 'never' : `${value}${unit}`;

/** The report in Markdown: a table of every drill, then each drill with its picture. */
export function markdownOf(report: DrillReport): string {
  const { machine } = report;
  const lines = [
    '# Fault drills',
    '',
    `Command: \`${report.command}\`, run ${report.ranAt}.`,
    '',
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `PostgreSQL ${machine.postgres}. Fleet: ${report.fleet}. Gateway simulator: ` +
      `${report.gateway.latencyMs} ms, ${report.gateway.capacity} at once ` +
      `(${report.gateway.ordersPerSecond} payments/s).`,
    '',
    'The seed measured one server down at 10 s of errors plus a 2 s consumer-group rebalance.',
    '',
    '| drill | mode | fault | outage (no payment) | longest order wait | payments resumed after the fault | all final after the fault | answers during the fault | lost or not final | charged twice | oversold | charges − paid | aim |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.drills.map(
      (d) =>
        `| ${d.drill} | ${d.mode} | ${d.faultSeconds} s | ${d.outageSeconds} s | ` +
        `${orDash(d.longestOrderWaitSeconds)} | ${orDash(d.paymentsResumedAfterFaultSeconds)} | ` +
        `${orDash(d.allFinalAfterFaultSeconds)} | ` +
        `${statuses(d.answersDuringFault)} | ${d.invariants.acceptedOrdersLost} | ` +
        `${d.invariants.ordersChargedTwice} | ${d.invariants.unitsOversold} | ` +
        `${d.invariants.chargesBeyondPaidOrders} | ${d.aim.met ? 'met' : '**not met**'}: ${d.aim.text} |`,
    ),
    '',
  ];
  for (const d of report.drills) {
    lines.push(
      `## ${d.drill}`,
      '',
      `${d.fault}. ${d.offeredPerSecond} orders/s in ${d.mode} mode.`,
      '',
      `![Completed payments per second, ${d.drill}](${d.drill}.svg)`,
      '',
      `- Orders: ${d.orders.accepted} accepted, ${d.orders.paid} paid, ${d.orders.failed} failed.`,
      `- Answers in all: ${statuses(d.answers)}.`,
      ...Object.entries(d.notes).map(([name, value]) => `- ${name}: ${value ?? 'none'}`),
      '',
    );
  }
  return lines.join('\n');
}

/** The lines printed at the end of a run: one per drill. */
export function summaryOf(report: DrillReport): string[] {
  return report.drills.map(
    (d) =>
      `${d.drill}: outage ${d.outageSeconds} s, longest wait ${orDash(d.longestOrderWaitSeconds)}, ` +
      `all final ${orDash(d.allFinalAfterFaultSeconds)} after the fault; during it ` +
      `${statuses(d.answersDuringFault)}; lost ${d.invariants.acceptedOrdersLost}, charged twice ` +
      `${d.invariants.ordersChargedTwice}, oversold ${d.invariants.unitsOversold}, charges − paid ` +
      `${d.invariants.chargesBeyondPaidOrders}; aim ${d.aim.met ? 'met' : 'NOT MET'}: ${d.aim.text}`,
  );
}
