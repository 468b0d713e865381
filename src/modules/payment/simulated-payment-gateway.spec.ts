import { Gauge, Registry } from 'prom-client';
import { loadConfig } from '../../config/app-config';
import { TransientGatewayError } from './payment-gateway';
import { SimulatedPaymentGateway } from './simulated-payment-gateway';

const gatewayWith = (env: Record<string, string>, random?: () => number) =>
  new SimulatedPaymentGateway(loadConfig({ GATEWAY_LATENCY_MS: '5', ...env }), random);

const request = (key: string, paymentToken = 'tok_visa', amountCents = 1000) => ({
  idempotencyKey: key,
  amountCents,
  currency: 'EUR',
  paymentToken,
});

describe('the simulated payment gateway', () => {
  it('approves, and answers a repeated key with its first answer without charging again', async () => {
    const gateway = gatewayWith({});
    const first = await gateway.authorize(request('order-1'));
    const again = await gateway.authorize(request('order-1'));
    expect(first.status).toBe('APPROVED');
    expect(again).toEqual(first);
    expect(gateway.ledger().charges.get('order-1')).toBe(1);
    expect(gateway.ledger().calls).toBe(1);
  });

  it('joins concurrent calls with the same key into one authorization', async () => {
    const gateway = gatewayWith({});
    const answers = await Promise.all([1, 2, 3].map(() => gateway.authorize(request('order-2'))));
    expect(
      new Set(answers.map((a) => (a.status === 'APPROVED' ? a.reference : a.reason))).size,
    ).toBe(1);
    expect(gateway.ledger().charges.get('order-2')).toBe(1);
  });

  it('declines test cards and amounts over its limit, charging nothing', async () => {
    const gateway = gatewayWith({ GATEWAY_DECLINE_ABOVE_CENTS: '5000' });
    expect(await gateway.authorize(request('a', 'tok_decline_stolen'))).toEqual({
      status: 'DECLINED',
      reason: 'card_declined',
    });
    expect(await gateway.authorize(request('b', 'tok_visa', 5001))).toEqual({
      status: 'DECLINED',
      reason: 'amount_over_limit',
    });
    expect(gateway.ledger().charges.size).toBe(0);
  });

  it('fails transiently at its configured rate, and a retry of the key is asked afresh', async () => {
    const draws = [0.1, 0.9];
    const gateway = gatewayWith({ GATEWAY_TRANSIENT_FAILURE_RATE: '0.5' }, () => draws.shift()!);
    await expect(gateway.authorize(request('order-3'))).rejects.toThrow(TransientGatewayError);
    expect((await gateway.authorize(request('order-3'))).status).toBe('APPROVED');
    expect(gateway.ledger().charges.get('order-3')).toBe(1);
  });

  it('fails calls past twice its capacity as overloaded, and serves the rest', async () => {
    const gateway = gatewayWith({ GATEWAY_CAPACITY: '2' });
    const answers = await Promise.allSettled(
      [1, 2, 3, 4, 5, 6].map((n) => gateway.authorize(request(`load-${n}`))),
    );
    const overloaded = answers.filter(
      (a) => a.status === 'rejected' && (a.reason as Error).message === 'gateway overloaded',
    );
    expect(overloaded).toHaveLength(2);
    expect(gateway.ledger().peakInFlight).toBe(6);
    expect(gateway.ledger().charges.size).toBe(4);
  });

  it('fails transiently for the "unavailable" test token', async () => {
    await expect(gatewayWith({}).authorize(request('x', 'tok_unavailable'))).rejects.toThrow(
      'gateway unavailable',
    );
  });

  it('counts the charges it holds on its gauge, so a benchmark can compare them with PAID orders', async () => {
    const charges = new Gauge({ name: 'charges', help: 'charges', registers: [new Registry()] });
    const gateway = new SimulatedPaymentGateway(
      loadConfig({ GATEWAY_LATENCY_MS: '1' }),
      undefined,
      charges,
    );
    await gateway.authorize(request('paid-1'));
    await gateway.authorize(request('paid-1'));
    await gateway.authorize(request('paid-2'));
    await gateway.authorize(request('declined', 'tok_decline'));
    expect((await charges.get()).values[0].value).toBe(2);
    await gateway.void('paid-2');
    expect((await charges.get()).values[0].value).toBe(1);
  });
});
