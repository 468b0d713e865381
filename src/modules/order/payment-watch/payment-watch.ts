import { AppConfig } from '../../../config/app-config';
import { CheckoutMode } from '../../../fleet/mode/checkout-mode';

/**
 * How long an order accepted in `mode` waits for its payment before the watchdog looks at it:
 * a sync order as long as its payment can run in the process that accepted it
 * (SYNC_LOSS_WINDOW_MS), an async one LOSS_WINDOW_MS.
 */
export function watchWindowMs(watchdog: AppConfig['watchdog'], mode: CheckoutMode): number {
  return mode === 'sync' ? watchdog.syncLossWindowMs : watchdog.lossWindowMs;
}

/**
 * The deadline of an order waiting for its payment, in the database's clock (every instance
 * compares against the same one): past it with no result, the watchdog looks for its payment.
 */
export function watchFromNow(windowMs: number): () => string {
  return () => watchUntilSql(String(windowMs / 1000));
}

/** The same deadline as SQL, with the window in seconds given by `seconds` (a `$n` parameter). */
export function watchUntilSql(seconds: string): string {
  return `now() + make_interval(secs => ${seconds}::float8)`;
}
