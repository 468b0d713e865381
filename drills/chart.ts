/** A per-second series with a marked window, drawn the way the seed's before-and-after graphs were. */
export interface MarkedSeries {
  title: string;
  /** What the bars count, per second. */
  unit: string;
  /** One value per second from the start of the drill's load. */
  perSecond: number[];
  /** The fault's start and end, in seconds from the same start. */
  window: { start: number; end: number };
}

const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 44;
const RIGHT = 12;
const TOP = 28;
const BOTTOM = 30;

/**
 * The series as a bar chart in SVG (GitHub and every browser show it; no plotting library is
 * needed for bars and two lines), with the fault's window shaded and its edges marked.
 */
export function svgOf(series: MarkedSeries): string {
  const seconds = Math.max(series.perSecond.length, Math.ceil(series.window.end) + 1, 1);
  const peak = Math.max(1, ...series.perSecond);
  const top = niceCeiling(peak);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const x = (second: number) => LEFT + (second / seconds) * plotWidth;
  const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
  const barWidth = Math.max(1, plotWidth / seconds - 1);

  const bars = series.perSecond
    .map((value, second) =>
      value > 0
        ? `<rect x="${x(second).toFixed(1)}" y="${y(value).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(TOP + plotHeight - y(value)).toFixed(1)}" fill="#2f6fb0"/>`
        : '',
    )
    .join('');
  const start = x(series.window.start);
  const end = x(series.window.end);
  const shade = `<rect x="${start.toFixed(1)}" y="${TOP}" width="${Math.max(1, end - start).toFixed(1)}" height="${plotHeight}" fill="#e0473c" fill-opacity="0.12"/>`;
  const edges = [
    [start, 'fault'],
    [end, 'end'],
  ]
    .map(
      ([at, label]) =>
        `<line x1="${Number(at).toFixed(1)}" x2="${Number(at).toFixed(1)}" y1="${TOP}" y2="${TOP + plotHeight}" stroke="#e0473c" stroke-width="1.5" stroke-dasharray="4 3"/>` +
        `<text x="${(Number(at) + 3).toFixed(1)}" y="${TOP + 11}" font-size="10" fill="#b3261e">${label}</text>`,
    )
    .join('');
  const yTicks = valueGrid(top, y, { left: LEFT, right: WIDTH - RIGHT });
  const xTicks = secondsAxis(seconds, x, HEIGHT - BOTTOM + 14);

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">` +
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>` +
    `<text x="${LEFT}" y="17" font-size="13" fill="#222">${escape(series.title)}</text>` +
    `<text x="${WIDTH - RIGHT}" y="17" font-size="10" text-anchor="end" fill="#555">${escape(series.unit)}</text>` +
    yTicks +
    shade +
    bars +
    edges +
    xTicks +
    '</svg>\n'
  );
}

/** The next 1, 2 or 5 × a power of ten at or above `value`: an axis's top. */
/** The value axis: 0, half and the top, each labelled with a grid line across the plot. */
export function valueGrid(
  top: number,
  y: (value: number) => number,
  { left, right }: { left: number; right: number },
): string {
  return [0, top / 2, top]
    .map(
      (value) =>
        `<text x="${left - 6}" y="${(y(value) + 3).toFixed(1)}" font-size="10" text-anchor="end" fill="#555">${value}</text>` +
        `<line x1="${left}" x2="${right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#ddd"/>`,
    )
    .join('');
}

/** The time axis: a label every 5, 10 or 30 s, or every 1 or 5 min, on the line at `baseline`. */
export function secondsAxis(seconds: number, x: (second: number) => number, baseline: number) {
  const step =
    seconds > 900 ? 300 : seconds > 300 ? 60 : seconds > 120 ? 30 : seconds > 40 ? 10 : 5;
  return Array.from({ length: Math.floor(seconds / step) + 1 }, (_, n) => n * step)
    .map(
      (second) =>
        `<text x="${x(second).toFixed(1)}" y="${baseline}" font-size="10" text-anchor="middle" fill="#555">${second}s</text>`,
    )
    .join('');
}

export function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const nice = [1, 2, 5, 10].find((factor) => factor * magnitude >= value) ?? 10;
  return nice * magnitude;
}

/** `text` safe inside an SVG text node. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
