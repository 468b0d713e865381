import { AppConfig } from '../../config/app-config';
import { boundedRetries, patientRetries, paysPatiently } from './retry-plan';

const payment: AppConfig['payment'] = {
  maxAttempts: 3,
  retryBaseMs: 100,
  retryCapMs: 1000,
  patienceMs: 10_000,
};
const requestedAt = '2030-01-01T00:00:00.000Z';
const at = (ms: number) => Date.parse(requestedAt) + ms;

describe('retry plans', () => {
  it('waits patiently only for a request that came over Kafka (it has a replyTo)', () => {
    expect(paysPatiently({ replyTo: 'http://api-1:3000/internal/order-updates' })).toBe(true);
    expect(paysPatiently({ replyTo: null })).toBe(false);
  });

  it('stops a sync payment after its attempts, doubling the wait between them', () => {
    const plan = boundedRetries(payment);
    expect([1, 2, 3].map((call) => plan.waitAfter(call, at(0)))).toEqual([100, 200, null]);
  });

  it('asks an async payment again with capped backoff until its patience runs out', () => {
    const plan = patientRetries(payment, requestedAt, () => 1);
    expect([1, 2, 3, 4, 5, 9].map((call) => plan.waitAfter(call, at(1000)))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(plan.waitAfter(20, at(9_700))).toBe(300);
    expect(plan.waitAfter(21, at(10_000))).toBeNull();
  });

  it('spreads the waits of an async payment over the upper half of the backoff', () => {
    const plan = patientRetries(payment, requestedAt, () => 0);
    expect(plan.waitAfter(9, at(0))).toBe(500);
  });

  it('still makes its attempts when an async request reached the worker past its patience', () => {
    const plan = patientRetries(payment, requestedAt, () => 1);
    expect(plan.waitAfter(1, at(60_000))).toBe(100);
    expect(plan.waitAfter(2, at(60_000))).toBe(200);
    expect(plan.waitAfter(3, at(60_000))).toBeNull();
  });
});
