import { setTimeout as sleep } from 'node:timers/promises';
import { Gauge, Registry } from 'prom-client';
import { loadConfig } from '../../config/app-config';
import { TransientGatewayError } from './payment-gateway';
import { SimulatedPaymentGateway } from './simulated-payment-gateway';

const gatewayWith = (env: Record<string, string>, gauge?: Gauge) =>
  new SimulatedPaymentGateway(loadConfig({ GATEWAY_LATENCY_MS: '1', ...env }), gauge);

const request = (key: string, paymentToken = 'tok_visa') => ({
  idempotencyKey: key,
  amountCents: 1000,
  currency: 'EUR',
  paymentToken,
});

/** The in-process simulator; the simulation's own behaviour is in gateway-simulation.spec.ts. */
describe('the simulated payment gateway in-process', () => {
  it('fails transiently for the "unavailable" test token', async () => {
    await expect(gatewayWith({}).authorize(request('x', 'tok_unavailable'))).rejects.toThrow(
      new TransientGatewayError('gateway unavailable'),
    );
  });

  it('never answers a lost call, and answers the key asked again', async () => {
    const gateway = gatewayWith({});
    const lost = gateway.authorize(request('order-1', 'tok_lost_response'));
    const outcome = await Promise.race([lost, sleep(50, 'no answer')]);
    expect(outcome).toBe('no answer');
    expect((await gateway.authorize(request('order-1', 'tok_lost_response'))).status).toBe(
      'APPROVED',
    );
    expect(gateway.ledger()).toMatchObject({ calls: 2, lostResponses: 1 });
    expect(gateway.ledger().charges.get('order-1')).toBe(1);
  });

  it('reads its knobs from the configuration, lost answers included', async () => {
    const gateway = gatewayWith({ GATEWAY_LOST_RESPONSE_RATE: '1' });
    const outcome = await Promise.race([gateway.authorize(request('order-2')), sleep(50, 'none')]);
    expect(outcome).toBe('none');
  });

  it('counts the charges it holds on its gauge, so a benchmark can compare them with PAID orders', async () => {
    const charges = new Gauge({ name: 'charges', help: 'charges', registers: [new Registry()] });
    const gateway = gatewayWith({}, charges);
    await gateway.authorize(request('paid-1'));
    await gateway.authorize(request('paid-1'));
    await gateway.authorize(request('paid-2'));
    await gateway.authorize(request('declined', 'tok_decline'));
    expect((await charges.get()).values[0].value).toBe(2);
    await gateway.void('paid-2');
    expect((await charges.get()).values[0].value).toBe(1);
  });
});
