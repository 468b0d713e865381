import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../config/app-config';
import { GatewayPace } from '../../messaging/kafka/gateway-pace';
import { GatewayGuard } from './gateway-guard';
import {
  GatewayCircuitOpenError,
  GatewayOverloadedError,
  GatewayTimeoutError,
  TransientGatewayError,
} from './payment-gateway';
import { SimulatedPaymentGateway } from './simulated-payment-gateway';

function guarded(env: Record<string, string> = {}) {
  const config = loadConfig({
    GATEWAY_LATENCY_MS: '1',
    GATEWAY_CIRCUIT_FAILURES: '3',
    GATEWAY_CIRCUIT_HALF_OPEN_MS: '100',
    ...env,
  });
  const gateway = new SimulatedPaymentGateway(config);
  const pace = new GatewayPace(config);
  return { gateway, pace, guard: new GatewayGuard(gateway, config, undefined, pace) };
}

let keys = 0;
const request = (paymentToken = 'tok_visa') => ({
  idempotencyKey: `order-${++keys}`,
  amountCents: 1000,
  currency: 'EUR',
  paymentToken,
});

async function failTimes(guard: GatewayGuard, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await expect(guard.authorize(request('tok_unavailable'))).rejects.toThrow(
      TransientGatewayError,
    );
  }
}

describe('the gateway guard', () => {
  it('opens after the configured failures in a row, then refuses without calling the gateway', async () => {
    const { gateway, guard } = guarded();
    await failTimes(guard, 2);
    expect(guard.state()).toBe('closed');
    await failTimes(guard, 1);
    expect(guard.state()).toBe('open');

    const calls = gateway.ledger().calls;
    const refusal = guard.authorize(request());
    await expect(refusal).rejects.toBeInstanceOf(GatewayCircuitOpenError);
    const error = (await refusal.catch((e: unknown) => e)) as GatewayCircuitOpenError;
    expect(error).toBeInstanceOf(TransientGatewayError);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(100);
    expect(gateway.ledger().calls).toBe(calls);
    await expect(guard.void('order-x')).rejects.toBeInstanceOf(GatewayCircuitOpenError);
  });

  it('stays closed when the gateway is only overloaded: alive, asking callers to slow down', async () => {
    const { gateway, guard } = guarded({ GATEWAY_LATENCY_MS: '20', GATEWAY_CAPACITY: '1' });
    // Three at once on a gateway that bears one: past twice its capacity, it refuses.
    const answers = await Promise.allSettled(
      Array.from({ length: 8 }, () => guard.authorize(request())),
    );
    const refused = answers.filter((answer) => answer.status === 'rejected');
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const answer of refused) expect(answer.reason).toBeInstanceOf(GatewayOverloadedError);
    expect(guard.state()).toBe('closed');
    expect(gateway.ledger().calls).toBe(8);
  });

  it('counts only failures in a row: an answer, a decline included, starts the count again', async () => {
    const { guard } = guarded();
    await failTimes(guard, 2);
    expect((await guard.authorize(request('tok_decline_card'))).status).toBe('DECLINED');
    await failTimes(guard, 2);
    expect(guard.state()).toBe('closed');
  });

  it('lets one probe through after the pause: a success closes the circuit', async () => {
    const { guard } = guarded();
    await failTimes(guard, 3);
    await sleep(guard.retryAfterMs() + 10);
    expect(guard.retryAfterMs()).toBe(0);
    expect((await guard.authorize(request())).status).toBe('APPROVED');
    expect(guard.state()).toBe('closed');
  });

  it('opens again, for another pause, when the probe fails', async () => {
    const { guard } = guarded();
    await failTimes(guard, 3);
    await sleep(guard.retryAfterMs() + 10);
    await failTimes(guard, 1);
    expect(guard.state()).toBe('open');
    expect(guard.retryAfterMs()).toBeGreaterThan(50);
  });

  it('times a call out, and counts the timeout as a failure', async () => {
    const { guard } = guarded({ GATEWAY_TIMEOUT_MS: '20', GATEWAY_CIRCUIT_FAILURES: '1' });
    await expect(guard.authorize(request('tok_lost_response'))).rejects.toBeInstanceOf(
      GatewayTimeoutError,
    );
    expect(guard.state()).toBe('open');
  });

  it('holds async payments to one call, the probe, from the circuit opening until it closes', async () => {
    const { guard, pace } = guarded({ GATEWAY_LATENCY_MS: '30', MAX_IN_FLIGHT: '8' });
    const limits: number[] = [];
    pace.onChange((limit) => limits.push(limit));
    await failTimes(guard, 3);
    expect(pace.current()).toBe(1);

    await sleep(guard.retryAfterMs() + 10);
    const probe = guard.authorize(request());
    expect(guard.state()).toBe('half-open');
    expect(pace.current()).toBe(1);
    expect((await probe).status).toBe('APPROVED');
    expect(pace.current()).toBe(8);
    expect(limits).toEqual([1, 8]);
  });
});
