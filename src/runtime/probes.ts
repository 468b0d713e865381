/** What answers /health and /metrics: scraped every few seconds, never part of an order. */
export function isProbe(url: string | undefined): boolean {
  return /^\/(health|metrics)(\/|\?|$)/.test(url ?? '');
}
