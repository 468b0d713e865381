import { CapacityResult } from './capacity';
import { capacityMarkdownOf } from './capacity-report';
import { headlineChart } from './headline';
import { MachineLimits } from './limits';
import { SaleResult } from './sale';
import { SettleResult } from './settle';

export interface FlashSaleReport {
  ranAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; postgres: string };
  gateway: { latencyMs: number; capacity: number; ordersPerSecond: number };
  limits: MachineLimits;
  /** The phases this run took (BENCH_PHASES), and the sales it ran (BENCH_SALES). */
  phases: string[];
  sales: SaleResult[];
  /** The accept climb, one process and API and worker apart. */
  capacity?: CapacityResult[];
  settle?: SettleResult[];
  settleGateway?: { latencyMs: number; capacity: number };
}

const ms = (value: number | null) => (value === null ? '—' : value.toFixed(1));
const rate = (value: number) => value.toFixed(1);
const percent = (part: number, whole: number) =>
  whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '—';

/** The run's report: the climb, the settle pace, then the sales, against the machine's limits. */
export function markdownOf(report: FlashSaleReport): string {
  const { sales, limits, gateway, machine } = report;
  return [
    `# Flash-sale benchmark`,
    ``,
    `Ran ${report.ranAt} with \`${report.command}\` on ${machine.cpus} × ${machine.cpuModel}, ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}; ` +
      `the app, PostgreSQL, the Kafka broker and the load generator share the machine.`,
    ``,
    `Payment gateway (simulated): ${gateway.latencyMs} ms per authorization, ${gateway.capacity} at ` +
      `once, so ${rate(gateway.ordersPerSecond)} orders/s. Each shopper has one unit in the cart ` +
      `and arrives once, on an open-loop schedule; latency counts from the arrival time.`,
    ``,
    `Phases run: ${report.phases.join(', ')}.`,
    ``,
    ...capacityMarkdownOf(report),
    ...(sales.length > 0 ? [`## Sales`, ``, ...salesTableOf(report), ``] : []),
    ...(headlineChart(sales)
      ? [
          `Accept latency and orders settled each second, sync against async at 10× the gateway:`,
          ``,
          `![accept p99 and orders settled per second, sync against async](headline.svg)`,
          ``,
        ]
      : []),
    `Machine limits, measured in the same run:`,
    ``,
    `- PostgreSQL: ${rate(limits.postgresAcceptsPerSecond)} accept transactions/s ` +
      `(pgbench, ${limits.postgresClients} clients, the app's transaction on one hot product row, its statements prepared and pipelined as the app's are; the best of three 5 s runs).`,
    `- Kafka producer, acks=all, idempotent: ${rate(limits.kafkaMessagesPerSecond.batchesOf100)} ` +
      `messages/s in batches of 100, ${rate(limits.kafkaMessagesPerSecond.oneAtATime)} one at a time.`,
    ``,
    `Against the aim:`,
    ``,
    ...aimOf(report).map((line) => `- ${line}`),
    ``,
    ...(sales.some((sale) => sale.scenario.includes('untold'))
      ? [
          `The payment permit limit in force on the worker when the app is not told what the ` +
            `gateway bears (its ceiling stays at MAX_IN_FLIGHT's default), one sample a second:`,
          ``,
          `![payment permit limit in force](permit-limit.svg)`,
          ``,
        ]
      : []),
  ].join('\n');
}

/** One row per figure, one column per sale: reads well both in a terminal and on GitHub. */
function salesTableOf(report: FlashSaleReport): string[] {
  const { sales, limits, gateway } = report;
  const row = (label: string, cell: (sale: SaleResult) => string) =>
    `| ${label} | ${sales.map(cell).join(' | ')} |`;
  const memory = (sale: SaleResult) =>
    Object.entries(sale.peakMemoryMb)
      .map(([process, mb]) => `${process} ${mb} MiB`)
      .join(', ');
  const final = (sale: SaleResult) =>
    sale.allFinalSeconds === null
      ? 'not within the wait'
      : `${sale.allFinalSeconds.toFixed(1)} s (gateway-bound ${sale.gatewayBoundSeconds.toFixed(1)} s)`;
  return [
    `| | ${sales.map((sale) => sale.scenario).join(' | ')} |`,
    `|---|${sales.map(() => '---').join('|')}|`,
    row('mode, processes', (s) => `${s.mode}, ${s.processes}`),
    row(
      'offered orders/s (× gateway)',
      (s) => `${rate(s.offeredPerSecond)} (${rate(s.offeredPerSecond / gateway.ordersPerSecond)}×)`,
    ),
    row('accepted orders/s', (s) => rate(s.acceptedPerSecond)),
    row(
      'accepted / sold out / refused / errors',
      (s) => `${s.accepted} / ${s.soldOut} / ${s.refused} / ${s.errors}`,
    ),
    row(
      'accept latency p50 / p95 / p99 ms',
      (s) => `${ms(s.latencyMs.p50)} / ${ms(s.latencyMs.p95)} / ${ms(s.latencyMs.p99)}`,
    ),
    row('refusal (503) p99 ms', (s) => ms(s.refusalP99Ms)),
    row('paid / payment failed', (s) => `${s.paid} / ${s.paymentFailed}`),
    row('payments failed by overload', (s) => String(s.failedByOverload)),
    row('settled orders/s (× gateway)', (s) =>
      s.settledPerSecond === null
        ? '—'
        : `${rate(s.settledPerSecond)} (${(s.settledPerSecond / gateway.ordersPerSecond).toFixed(2)}×)`,
    ),
    row('payment permit limit, lowest / highest / last', limitRange),
    row('every order final after', final),
    row('oversold units', (s) => String(s.invariants.oversoldUnits)),
    row('units unaccounted', (s) => String(s.invariants.unitsUnaccounted)),
    row('lost orders', (s) => String(s.invariants.lostOrders)),
    row('double charges', (s) => String(s.invariants.doubleCharges)),
    row('peak memory (RSS)', memory),
    row('accepted / PostgreSQL limit', (s) =>
      percent(s.acceptedPerSecond, limits.postgresAcceptsPerSecond),
    ),
    row('accepted / Kafka limit', (s) =>
      percent(s.acceptedPerSecond, limits.kafkaMessagesPerSecond.batchesOf100),
    ),
  ];
}

function limitRange({ permitLimit }: SaleResult): string {
  const seen = permitLimit.filter((limit) => limit > 0);
  if (seen.length === 0) return '—';
  return `${Math.min(...seen)} / ${Math.max(...seen)} / ${seen[seen.length - 1]}`;
}

/** The aims of the sync path and of the adaptive limit, sale by sale. */
function paceAimOf({ sales, gateway }: FlashSaleReport): string[] {
  return sales.flatMap((sale) => {
    const multiple = sale.offeredPerSecond / gateway.ordersPerSecond;
    if (sale.mode === 'sync' && Math.abs(multiple - 1) < 0.01) {
      const share = sale.paid / Math.max(1, sale.paid + sale.paymentFailed + sale.refused);
      const units = Math.floor(sale.offered * 0.9);
      return [
        `${sale.scenario}: paid ${sale.paid} of ${units} units on sale — ` +
          `${sale.paid >= 0.9 * units ? 'met' : 'not met'} (aim: 90 % or more; ` +
          `${(100 * share).toFixed(0)} % of the shoppers who got an answer other than sold out).`,
      ];
    }
    if (sale.mode === 'sync' && multiple >= 10) {
      const p99 = sale.refusalP99Ms;
      return [
        `${sale.scenario}: ${sale.failedByOverload} payments failed by overload, refusals ` +
          `answered at p99 ${ms(p99)} ms — ${sale.failedByOverload === 0 && (p99 ?? 0) < 100 ? 'met' : 'not met'} ` +
          `(aim: none, and under 100 ms).`,
      ];
    }
    if (sale.mode === 'async' && sale.permitLimit.length > 0 && sale.scenario.includes('untold')) {
      const settled = sale.settledPerSecond ?? 0;
      return [
        `${sale.scenario}: ${sale.paymentFailed} payments failed, settled at ${rate(settled)} ` +
          `orders/s against a gateway bearing ${rate(gateway.ordersPerSecond)} — ` +
          `${sale.paymentFailed === 0 && settled >= 0.8 * gateway.ordersPerSecond ? 'met' : 'not met'} ` +
          `(aim: every order paid, within 20 % of the gateway's capacity).`,
      ];
    }
    return [];
  });
}

/** The issue's aim, sale by sale: met or not, with the figure that says so. */
export function aimOf(report: FlashSaleReport): string[] {
  return [...acceptAimOf(report), ...paceAimOf(report)];
}

function acceptAimOf({ sales, gateway }: FlashSaleReport): string[] {
  const heldBySync = sales
    .filter((sale) => sale.mode === 'sync' && sale.errors === 0 && sale.paymentFailed === 0)
    .sort((a, b) => b.acceptedPerSecond - a.acceptedPerSecond)[0];
  return sales
    .filter((sale) => sale.mode === 'async' && !sale.scenario.includes('untold'))
    .flatMap((sale) => {
      const p99 = sale.latencyMs.p99 ?? Infinity;
      const multiple = sale.offeredPerSecond / gateway.ordersPerSecond;
      const final = sale.allFinalSeconds;
      const lines = [
        `${sale.scenario}: p99 ${ms(sale.latencyMs.p99)} ms at ${rate(multiple)}× the gateway's ` +
          `capacity — ${p99 < 50 ? 'met' : 'not met'} (aim: under 50 ms).`,
        `${sale.scenario}: every order final ${final === null ? 'never, within the wait' : `after ${final.toFixed(1)} s`}, ` +
          `the gateway needing ${sale.gatewayBoundSeconds.toFixed(1)} s at full capacity — ` +
          `${final !== null && final <= sale.gatewayBoundSeconds * 1.25 ? 'met' : 'not met'} ` +
          `(aim: within 25 % of it).`,
      ];
      if (heldBySync) {
        const ratio = sale.acceptedPerSecond / heldBySync.acceptedPerSecond;
        lines.push(
          `${sale.scenario}: accepts ${rate(ratio)}× the ${rate(heldBySync.acceptedPerSecond)} ` +
            `orders/s sync held without errors or failed payments (${heldBySync.scenario}, p99 ` +
            `${ms(heldBySync.latencyMs.p99)} ms) — ${ratio >= 10 && p99 <= (heldBySync.latencyMs.p99 ?? 0) ? 'met' : 'not met'} ` +
            `(aim: 10× at no worse a p99).`,
        );
      }
      return lines;
    });
}
