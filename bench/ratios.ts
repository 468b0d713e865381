import { FlashSaleReport } from './report';

/**
 * Each figure of a run as a share of the same run's machine limits (pgbench's accept rate, the
 * simulated gateway's pace), or of what the sale offered: what can be compared from one machine,
 * or one run, to the next.
 */
export function ratiosOf(report: FlashSaleReport): Record<string, number> {
  const pgbench = report.limits.postgresAcceptsPerSecond;
  const ratios: Record<string, number> = {};
  for (const climb of report.capacity ?? []) {
    if (climb.heldPerSecond !== null) {
      const paced = climb.gateway === "the sale's" ? ", the sale's gateway" : '';
      ratios[`capacity held (${climb.processes}${paced}) / pgbench`] =
        climb.heldPerSecond / pgbench;
    }
  }
  for (const drain of report.settle ?? []) {
    if (drain.settledPerSecondPerWorker !== null) {
      ratios[`settled per worker (${drain.processes}) / pgbench`] =
        drain.settledPerSecondPerWorker / pgbench;
    }
  }
  for (const sale of report.sales) {
    // A sale offers a fixed rate: its accepted rate over pgbench's would move with pgbench
    // alone. What the sale makes of its shoppers is the share it accepts.
    ratios[`${sale.scenario}: accepted / offered`] = sale.acceptedPerSecond / sale.offeredPerSecond;
    if (sale.settledPerSecond !== null) {
      ratios[`${sale.scenario}: settled / gateway`] =
        sale.settledPerSecond / report.gateway.ordersPerSecond;
    }
  }
  return ratios;
}

/** How far apart two runs' ratios are: |a − b| / the larger; within 20 % is the aim. */
export function comparisonOf(
  before: FlashSaleReport,
  after: FlashSaleReport,
): { figure: string; before: number | null; after: number | null; apart: number | null }[] {
  const a = ratiosOf(before);
  const b = ratiosOf(after);
  const figures = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return figures.map((figure) => {
    const x = a[figure] ?? null;
    const y = b[figure] ?? null;
    const apart = x !== null && y !== null ? Math.abs(x - y) / Math.max(x, y, 1e-9) : null;
    return { figure, before: x, after: y, apart };
  });
}

/** The comparison as a markdown table, with the figures more than 20 % apart called out. */
export function comparisonTableOf(before: FlashSaleReport, after: FlashSaleReport): string {
  const rows = comparisonOf(before, after);
  const cell = (value: number | null) => (value === null ? '—' : value.toFixed(3));
  const far = rows.filter((row) => row.apart !== null && row.apart > 0.2);
  return [
    `Run-to-run ratios: ${before.ranAt} against ${after.ranAt}`,
    ``,
    `| figure | before | after | apart |`,
    `|---|---|---|---|`,
    ...rows.map(
      (row) =>
        `| ${row.figure} | ${cell(row.before)} | ${cell(row.after)} | ` +
        `${row.apart === null ? '—' : `${(100 * row.apart).toFixed(1)} %`} |`,
    ),
    ``,
    far.length === 0
      ? `Every figure both runs have is within 20 % of the other run's.`
      : `${far.length} of ${rows.length} figures are more than 20 % apart: ${far.map((r) => r.figure).join('; ')}.`,
    ``,
  ].join('\n');
}
