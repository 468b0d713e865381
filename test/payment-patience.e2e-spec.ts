import { SimulatedPaymentGateway } from '../src/modules/payment';
import { placeMany } from './support/many-orders';
import { finalOrder, startApp, switchMode, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const PATIENCE_MS = 4000;

describe('an async payment that meets only transient gateway errors', () => {
  let app: TestApp;
  let gateway: SimulatedPaymentGateway;

  beforeAll(async () => {
    app = await startApp({
      PAYMENT_PATIENCE_MS: String(PATIENCE_MS),
      PAYMENT_RETRY_CAP_MS: '500',
    });
    gateway = app.app.get(SimulatedPaymentGateway);
    await switchMode(app, 'async');
  });
  afterEach(() => gateway.tune({ transientFailureRate: 0 }));
  afterAll(() => app.close());

  it('waits and is paid once the gateway answers again, charged once', async () => {
    gateway.tune({ transientFailureRate: 1 });
    const [{ shopper, orderId }] = await placeMany(app, 1);
    // Past the 3 attempts a sync payment makes, well within its patience.
    const callsWhileDown = await waitFor(
      'a 4th gateway call',
      () => Promise.resolve(app.gatewayLedger().calls > 3 ? app.gatewayLedger().calls : undefined),
      { timeoutMs: PATIENCE_MS / 2 },
    );
    const waiting = await app.http().get(`/orders/${orderId}`).set('X-User-Id', shopper.id);
    expect(waiting.body.status).toBe('PENDING_PAYMENT');
    expect(callsWhileDown).toBeGreaterThan(3);

    gateway.tune({ transientFailureRate: 0 });
    expect((await finalOrder(app, shopper.id, orderId)).status).toBe('PAID');
    expect(app.gatewayLedger().charges.get(orderId)).toBe(1);
  });

  it('fails with ERROR once its patience runs out', async () => {
    gateway.tune({ transientFailureRate: 1 });
    const placedAt = Date.now();
    const [{ shopper, orderId }] = await placeMany(app, 1);
    const order = await finalOrder(app, shopper.id, orderId, PATIENCE_MS + 20_000);
    expect(order.status).toBe('PAYMENT_FAILED');
    expect(Date.now() - placedAt).toBeGreaterThanOrEqual(PATIENCE_MS - 500);
    expect(order.failureReason).toMatch(/^gateway unavailable after \d+ attempts$/);

    const [payment] = await app.db.query<{ status: string; gateway_calls: number }[]>(
      'SELECT status, gateway_calls FROM payments WHERE order_id = $1',
      [orderId],
    );
    expect(payment.status).toBe('ERROR');
    expect(payment.gateway_calls).toBeGreaterThan(3);
    expect(app.gatewayLedger().charges.get(orderId)).toBeUndefined();
  });
});
