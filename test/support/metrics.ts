import { TestApp } from './test-app';

/** The value of one metric series from /metrics, or 0 when it has none yet. */
export async function metricValue(app: TestApp, series: string): Promise<number> {
  return seriesValue((await app.http().get('/metrics')).text, series) ?? 0;
}

/** The value of one series in a Prometheus text exposition, or null when it is not there. */
export function seriesValue(exposition: string, series: string): number | null {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

/** Waits until a metric series reaches `atLeast`. */
export async function metricReaches(
  app: TestApp,
  series: string,
  atLeast: number,
  timeoutMs = 15_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await metricValue(app, series);
    if (value >= atLeast) return value;
    if (Date.now() > deadline)
      throw new Error(`${series} is ${value}, not ${atLeast}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
