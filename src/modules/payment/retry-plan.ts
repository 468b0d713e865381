import { AppConfig } from '../../config/app-config';
import { PaymentRequested } from './payment.contracts';

/** When a payment asks the gateway again after a transient error, and when it stops. */
export interface RetryPlan {
  /** How long to wait after failed call number `call` (from 1); null: stop asking. */
  waitAfter(call: number, now: number): number | null;
}

/**
 * Whether the payment was asked for in async mode, where nobody waits on the request and it may
 * take its time. `replyTo` is set exactly when the request travels over Kafka (PaymentRequests),
 * in messages already in the topic too, so no field needs adding to the contract (which a
 * message written before it would lack).
 */
export function paysPatiently(request: Pick<PaymentRequested, 'replyTo'>): boolean {
  return request.replyTo !== null;
}

/** Sync mode: a shopper waits on the request, so a few calls with exponential backoff. */
export function boundedRetries({ maxAttempts, retryBaseMs }: AppConfig['payment']): RetryPlan {
  return {
    waitAfter: (call) => (call < maxAttempts ? retryBaseMs * 2 ** (call - 1) : null),
  };
}

/**
 * Async mode: asks again with capped exponential backoff (half of it random, so payments cut
 * off by one overload do not all come back at once) until PAYMENT_PATIENCE_MS after the
 * request, and at least maxAttempts times, however late the request reached the worker.
 */
export function patientRetries(
  { maxAttempts, retryBaseMs, retryCapMs, patienceMs }: AppConfig['payment'],
  requestedAt: string,
  random: () => number = Math.random,
): RetryPlan {
  const deadline = Date.parse(requestedAt) + patienceMs;
  return {
    waitAfter: (call, now) => {
      const mustAskAgain = call < maxAttempts;
      if (!mustAskAgain && now >= deadline) return null;
      const backoff = Math.min(retryCapMs, retryBaseMs * 2 ** Math.min(call - 1, 30));
      const wait = Math.round(backoff / 2 + (random() * backoff) / 2);
      return mustAskAgain ? wait : Math.min(wait, deadline - now);
    },
  };
}
