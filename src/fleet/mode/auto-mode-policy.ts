import { AutoThresholds } from '../../config/app-config';
import type { CheckoutMode } from './checkout-mode';

export type { AutoThresholds };

/** What the sync path bears right now on this instance. */
export interface CheckoutLoad {
  /** Sync checkouts running or waiting for a slot of the bulkhead. */
  syncInFlight: number;
  /** Sync checkouts refused (no slot in time, or the gateway's circuit open) lately. */
  syncRefused: number;
  /** p95 of recent gateway calls; null when there were none. */
  gatewayP95Ms: number | null;
}

export interface AutoState {
  mode: CheckoutMode;
  /** Since when load has stayed under the lower thresholds (async mode only). */
  calmSince: number | null;
}

export type AutoDecision = AutoState & { switched: boolean; reason: string | null };

/**
 * Auto mode goes async as soon as the sync path nears its limit (too many checkouts waiting
 * for the gateway, the gateway slowing down, or checkouts refused), and back to sync only
 * after load has stayed under lower thresholds, with none refused, for a hold period: the gap
 * and the hold keep it from flapping. The in-flight threshold sits under the sync bulkhead's
 * limit (checked at boot), so auto mode leaves sync before the bulkhead queues anyone; a
 * refusal still seen (a burst between two samples, or the gateway's circuit open, when async
 * mode keeps accepting while payments wait for the gateway) sends it async at the next sample.
 */
export function decideAutoMode(
  state: AutoState,
  load: CheckoutLoad,
  limits: AutoThresholds,
  now: number,
): AutoDecision {
  const latency = load.gatewayP95Ms ?? 0;
  if (state.mode === 'sync') {
    const reason =
      load.syncInFlight > limits.asyncAboveInFlight
        ? `${load.syncInFlight} sync checkouts in flight, over ${limits.asyncAboveInFlight}`
        : load.syncRefused > 0
          ? `${load.syncRefused} sync checkouts refused (no payment capacity, or the gateway circuit open)`
          : latency > limits.asyncAboveLatencyMs
            ? `gateway p95 ${Math.round(latency)} ms, over ${limits.asyncAboveLatencyMs} ms`
            : null;
    return reason
      ? { mode: 'async', calmSince: null, switched: true, reason }
      : { ...state, switched: false, reason: null };
  }
  const calm =
    load.syncInFlight <= limits.syncBelowInFlight &&
    load.syncRefused === 0 &&
    latency <= limits.syncBelowLatencyMs;
  if (!calm) return { mode: 'async', calmSince: null, switched: false, reason: null };
  const calmSince = state.calmSince ?? now;
  if (now - calmSince < limits.holdMs) {
    return { mode: 'async', calmSince, switched: false, reason: null };
  }
  return {
    mode: 'sync',
    calmSince: null,
    switched: true,
    reason:
      `load under ${limits.syncBelowInFlight} sync checkouts and gateway p95 ` +
      `${limits.syncBelowLatencyMs} ms for ${limits.holdMs} ms`,
  };
}
