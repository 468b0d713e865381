import { escape, niceCeiling, secondsAxis, valueGrid } from './chart';

/** Lines over time on one pair of axes: several runs of one figure, one value a second each. */
export interface LinePanel {
  title: string;
  /** What the values measure. */
  unit: string;
  lines: { name: string; color: string; perSecond: (number | null)[] }[];
}

const WIDTH = 720;
const PANEL_HEIGHT = 220;
const LEFT = 52;
const RIGHT = 12;
const TOP = 40;
const BOTTOM = 30;

/**
 * The panels stacked in one SVG, each on its own time axis from 0 s (GitHub and every browser show it; no
 * plotting library is needed for a few polylines). A null value breaks its line.
 */
export function lineChartOf(panels: LinePanel[]): string {
  const body = panels.map((panel, index) => panelOf(panel, index * PANEL_HEIGHT)).join('');
  const height = PANEL_HEIGHT * panels.length;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">` +
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>` +
    body +
    '</svg>\n'
  );
}

function panelOf(panel: LinePanel, offset: number): string {
  const seconds = Math.max(1, ...panel.lines.map((line) => line.perSecond.length));
  const values = panel.lines.flatMap((l) => l.perSecond.filter((v): v is number => v !== null));
  const top = niceCeiling(Math.max(1, ...values));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = PANEL_HEIGHT - TOP - BOTTOM;
  const x = (second: number) => LEFT + ((second + 0.5) / seconds) * plotWidth;
  const y = (value: number) => offset + TOP + plotHeight - (value / top) * plotHeight;

  const yTicks = valueGrid(top, y, { left: LEFT, right: WIDTH - RIGHT });
  const xTicks = secondsAxis(
    seconds,
    (second) => LEFT + (second / seconds) * plotWidth,
    offset + PANEL_HEIGHT - BOTTOM + 14,
  );
  const lines = panel.lines
    .map((line) =>
      runsOf(line.perSecond)
        .map((run) =>
          run.length === 1
            ? `<circle cx="${x(run[0][0]).toFixed(1)}" cy="${y(run[0][1]).toFixed(1)}" r="2" fill="${line.color}"/>`
            : `<polyline fill="none" stroke="${line.color}" stroke-width="2" points="${run.map(([s, v]) => `${x(s).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
        )
        .join(''),
    )
    .join('');
  const legend = panel.lines
    .map(
      (line, index) =>
        `<rect x="${LEFT + index * 110}" y="${offset + 24}" width="10" height="10" fill="${line.color}"/>` +
        `<text x="${LEFT + 14 + index * 110}" y="${offset + 33}" font-size="10" fill="#333">${escape(line.name)}</text>`,
    )
    .join('');
  return (
    `<text x="${LEFT}" y="${offset + 17}" font-size="13" fill="#222">${escape(panel.title)}</text>` +
    `<text x="${WIDTH - RIGHT}" y="${offset + 17}" font-size="10" text-anchor="end" fill="#555">${escape(panel.unit)}</text>` +
    yTicks +
    xTicks +
    lines +
    legend
  );
}

/** The stretches of consecutive non-null values, as [second, value] pairs. */
function runsOf(perSecond: (number | null)[]): [number, number][][] {
  const runs: [number, number][][] = [];
  let current: [number, number][] = [];
  perSecond.forEach((value, second) => {
    if (value === null) {
      if (current.length > 0) runs.push(current);
      current = [];
    } else current.push([second, value]);
  });
  if (current.length > 0) runs.push(current);
  return runs;
}
