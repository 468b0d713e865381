import { setTimeout as sleep } from 'node:timers/promises';
import { SimulatedPaymentGateway } from '../src/modules/payment';
import { expectPaidOnce, placeMany } from './support/many-orders';
import { metricReaches, metricValue } from './support/metrics';
import { Shopper } from './support/shopper';
import {
  adminAuth,
  newProduct,
  newShopper,
  startApp,
  stockOf,
  switchMode,
  TestApp,
} from './support/test-app';
import { waitFor } from './support/wait-for';

const CIRCUIT_STATE = 'payment_gateway_circuit_state';
const PERMIT_LIMIT = 'backpressure_permit_limit{topic="payment.order"}';
const PERMITS_IN_USE = 'backpressure_permits_in_use{topic="payment.order"}';
const PAUSED_PARTITIONS = 'kafka_paused_partitions{topic="payment.order"}';

interface GatewayDetails {
  circuit: string;
  probeInMs?: number;
}

async function limitInForce(app: TestApp): Promise<number> {
  const view = await app.http().get('/admin/backpressure').set(adminAuth('test-admin'));
  return view.body.limitInForce as number;
}

async function gatewayHealth(app: TestApp): Promise<{ status: number; gateway: GatewayDetails }> {
  const ready = await app.http().get('/health/ready');
  const details = ready.body.details as { paymentGateway: GatewayDetails };
  return { status: ready.status, gateway: details.paymentGateway };
}

describe('the circuit to the payment gateway', () => {
  let app: TestApp;
  let gateway: SimulatedPaymentGateway;

  beforeAll(async () => {
    app = await startApp({
      GATEWAY_CIRCUIT_FAILURES: '3',
      GATEWAY_CIRCUIT_HALF_OPEN_MS: '1500',
    });
    gateway = app.app.get(SimulatedPaymentGateway);
  });
  afterAll(() => app.close());

  it('opens on failures in a row, refuses sync checkouts fast while open, and closes once a probe is paid', async () => {
    const sku = await newProduct(app.db, { stock: 10 });
    expect(await metricValue(app, CIRCUIT_STATE)).toBe(0);

    gateway.tune({ transientFailureRate: 1 });
    const failed = await new Shopper(app, newShopper()).buy(sku);
    expect(failed.status).toBe(201);
    expect(failed.body.status).toBe('PAYMENT_FAILED');
    expect(await metricValue(app, CIRCUIT_STATE)).toBe(2);
    const open = await gatewayHealth(app);
    expect(open.status).toBe(200);
    expect(open.gateway).toMatchObject({ circuit: 'open', probeInMs: expect.any(Number) });

    // Refused before its order is written, and without a call to the gateway.
    const shopper = new Shopper(app, newShopper());
    await shopper.addToCart(sku, 1);
    const callsBefore = gateway.ledger().calls;
    const refused = await shopper.placeOrder();
    expect(refused.status).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(2);
    expect(refused.body).toMatchObject({
      statusCode: 503,
      error: 'PaymentGatewayDown',
      message: expect.stringMatching(/^Payments are paused: the payment gateway is failing/),
    });
    expect(gateway.ledger().calls).toBe(callsBefore);
    expect(await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [shopper.id])).toEqual(
      [],
    );
    expect(await stockOf(app.db, sku)).toBe(10);
    expect((await shopper.cart()).body.items).toHaveLength(1);
    expect(await metricValue(app, 'checkout_sync_refused_total{reason="circuit_open"}')).toBe(1);

    // The gateway recovers; once the pause is over, the next checkout is the probe.
    gateway.tune({ transientFailureRate: 0 });
    await waitFor('the pause to end', async () => {
      const { gateway: details } = await gatewayHealth(app);
      return details.probeInMs === undefined ? true : undefined;
    });
    const probe = await shopper.placeOrder();
    expect(probe.status).toBe(201);
    expect(probe.body.status).toBe('PAID');
    expect(await metricValue(app, CIRCUIT_STATE)).toBe(0);
    expect((await gatewayHealth(app)).gateway).toEqual({
      status: 'up',
      circuit: 'closed',
      syncCheckouts: { inUse: 0, queued: 0, limit: 32 },
    });
    const next = await new Shopper(app, newShopper()).buy(sku);
    expect(next.body.status).toBe('PAID');
  });

  it('opens again when the probe fails', async () => {
    const sku = await newProduct(app.db, { stock: 10 });
    gateway.tune({ transientFailureRate: 1 });
    try {
      await new Shopper(app, newShopper()).buy(sku);
      expect((await gatewayHealth(app)).gateway.circuit).toBe('open');
      await waitFor('the pause to end', async () => {
        const { gateway: details } = await gatewayHealth(app);
        return details.probeInMs === undefined ? true : undefined;
      });
      // The probe fails (and its retries are refused at once): the circuit is open again.
      const probed = await new Shopper(app, newShopper()).buy(sku);
      expect(probed.body.status).toBe('PAYMENT_FAILED');
      expect((await gatewayHealth(app)).gateway).toMatchObject({
        circuit: 'open',
        probeInMs: expect.any(Number),
      });
    } finally {
      gateway.tune({ transientFailureRate: 0 });
    }
  });
});

describe('the circuit to the payment gateway, in async mode', () => {
  let app: TestApp;
  let gateway: SimulatedPaymentGateway;

  beforeAll(async () => {
    app = await startApp({
      GATEWAY_CIRCUIT_FAILURES: '3',
      GATEWAY_CIRCUIT_HALF_OPEN_MS: '1000',
      PAYMENT_PATIENCE_MS: '60000',
      PAYMENT_RETRY_CAP_MS: '200',
    });
    gateway = app.app.get(SimulatedPaymentGateway);
    await switchMode(app, 'async');
  });
  afterAll(() => app.close());

  it('holds payments while open, sending the gateway only probes, and pays them once it closes', async () => {
    gateway.tune({ transientFailureRate: 1 });
    let orders: Awaited<ReturnType<typeof placeMany>> = [];
    try {
      // One payment's failures in a row open the circuit; it keeps its permit, to probe.
      orders = await placeMany(app, 1);
      await metricReaches(app, CIRCUIT_STATE, 2);
      expect(await metricValue(app, PERMIT_LIMIT)).toBe(1);
      expect(await limitInForce(app)).toBe(1);
      const callsWhenOpen = gateway.ledger().calls;

      // Orders accepted while it is open wait in Kafka: no permit for them, their partitions
      // paused; each pause lets one probe through, and no payment gives up.
      orders.push(...(await placeMany(app, 5)));
      let mostInUse = 0;
      for (const until = Date.now() + 3500; Date.now() < until;) {
        mostInUse = Math.max(mostInUse, await metricValue(app, PERMITS_IN_USE));
        await sleep(100);
      }
      expect(mostInUse).toBe(1);
      expect(await metricValue(app, PAUSED_PARTITIONS)).toBeGreaterThanOrEqual(1);
      expect(gateway.ledger().calls - callsWhenOpen).toBeLessThanOrEqual(6);
      const statuses = await app.db.query<{ status: string }[]>(
        `SELECT status FROM orders WHERE id = ANY($1)`,
        [orders.map((order) => order.orderId)],
      );
      expect(statuses.map((row) => row.status)).toEqual(Array(6).fill('PENDING_PAYMENT'));
    } finally {
      // A slow answer keeps the next probe half-open long enough to be seen.
      gateway.tune({ transientFailureRate: 0, latencyMs: 800 });
    }
    await waitFor('a probe half-open', async () =>
      (await metricValue(app, CIRCUIT_STATE)) === 1 ? true : undefined,
    );
    expect(await metricValue(app, PERMIT_LIMIT)).toBe(1);
    gateway.tune({ latencyMs: 5 });

    await expectPaidOnce(app, orders, 30_000);
    expect(await metricValue(app, CIRCUIT_STATE)).toBe(0);
    expect(await metricValue(app, PERMIT_LIMIT)).toBe(32);
    expect(await limitInForce(app)).toBe(32);
  });
});
