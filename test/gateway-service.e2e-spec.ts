import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { requestHashOf } from '../src/modules/order/checkout/request-hash';
import { AppProcess, freePort } from './support/app-process';
import { E2E_DATABASE_ENV } from './support/database-url';
import { GatewaySimulatorProcess } from './support/gateway-simulator';
import { Shopper } from './support/shopper';
import {
  finalOrder,
  newProduct,
  newShopper,
  startApp,
  stockOf,
  switchMode,
  TestApp,
} from './support/test-app';

/** The gateway simulator as its own service, shared by every process of a fleet. */
describe('one gateway service for two app processes', () => {
  let gateway: GatewaySimulatorProcess;
  let apps: AppProcess[] = [];
  let db: Client;

  beforeAll(async () => {
    // Slow enough that both instances are inside the authorization at once.
    gateway = await GatewaySimulatorProcess.start({ GATEWAY_LATENCY_MS: '1000' });
    const env = {
      DATABASE_URL: process.env[E2E_DATABASE_ENV]!,
      GATEWAY_URL: gateway.url,
      LOG_LEVEL: 'warn',
      SEED_DEMO_CATALOGUE: 'false',
    };
    apps = [AppProcess.start(env, await freePort()), AppProcess.start(env, await freePort())];
    db = new Client({ connectionString: env.DATABASE_URL });
    await Promise.all([db.connect(), ...apps.map((app) => app.ready())]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...apps.map((app) => app.stop()), gateway?.stop(), db?.end()]);
  });

  it('charges an order once when both instances ask for its payment at the same time', async () => {
    // A sync order as an instance that died right after committing it leaves it; the shopper's
    // retry with the same Idempotency-Key reaches both instances (a retrying load balancer).
    const userId = newShopper();
    const sku = `SVC-${randomUUID().slice(0, 8).toUpperCase()}`;
    const orderId = randomUUID();
    const key = randomUUID();
    const body = { paymentToken: 'tok_visa' };
    await db.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, 'Shared', 1500, 'EUR', 0)`,
      [sku],
    );
    await db.query(
      `INSERT INTO orders (id, user_id, status, mode, amount_cents, currency, payment_token,
                           idempotency_key, request_hash)
       VALUES ($1, $2, 'PENDING_PAYMENT', 'sync', 1500, 'EUR', 'tok_visa', $3, $4)`,
      [orderId, userId, key, requestHashOf(body)],
    );
    await db.query(
      `INSERT INTO order_lines (order_id, sku, name, unit_price_cents, quantity) VALUES ($1, $2, 'Shared', 1500, 1)`,
      [orderId, sku],
    );
    await db.query(
      `INSERT INTO stock_reservations (order_id, sku, user_id, quantity, status) VALUES ($1, $2, $3, 1, 'RESERVED')`,
      [orderId, sku, userId],
    );

    const answers = await Promise.all(
      apps.map(async (app) => {
        const response = await fetch(`${app.url}/orders`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-User-Id': userId,
            'Idempotency-Key': key,
          },
          body: JSON.stringify(body),
        });
        return { code: response.status, order: (await response.json()) as { status: string } };
      }),
    );

    expect(answers.map(({ code, order }) => [code, order.status])).toEqual([
      [200, 'PAID'],
      [200, 'PAID'],
    ]);
    // Each instance asked the gateway (each process would have charged its own simulator).
    expect(await gateway.ledger()).toMatchObject({
      calls: 2,
      charges: 1,
      keysChargedMoreThanOnce: [],
    });
    expect(await gateway.key(orderId)).toMatchObject({ charges: 1, voided: false });
    const payments = await db.query(`SELECT id FROM payments WHERE order_id = $1`, [orderId]);
    expect(payments.rows).toHaveLength(1);
  });
});

describe('a gateway whose answers get lost after it charged', () => {
  let gateway: GatewaySimulatorProcess;
  let app: TestApp;

  beforeAll(async () => {
    gateway = await GatewaySimulatorProcess.start({ GATEWAY_LATENCY_MS: '5' });
    app = await startApp({
      GATEWAY_URL: gateway.url,
      GATEWAY_TIMEOUT_MS: '300',
      PAYMENT_MAX_ATTEMPTS: '3',
    });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await gateway?.stop();
  });

  const gatewayCallsOf = async (orderId: string) =>
    (
      await app.db.query<{ gateway_calls: number }[]>(
        `SELECT gateway_calls FROM payments WHERE order_id = $1`,
        [orderId],
      )
    ).map((payment) => payment.gateway_calls);

  it.each(['sync', 'async'] as const)(
    'pays a %s order whose answer was lost, learning it by asking again: one charge',
    async (mode) => {
      await switchMode(app, mode);
      const shopper = new Shopper(app, newShopper());
      const sku = await newProduct(app.db, { stock: 2 });
      const lostBefore = (await gateway.ledger()).lostResponses;

      const placed = await shopper.buy(sku, 1, 'tok_lost_response');
      expect(placed.status).toBe(mode === 'sync' ? 201 : 202);
      const order = await finalOrder(app, shopper.id, placed.body.id as string);

      expect(order.status).toBe('PAID');
      expect(await gateway.key(order.id)).toMatchObject({ charges: 1, voided: false });
      expect((await gateway.ledger()).lostResponses).toBe(lostBefore + 1);
      expect(await gatewayCallsOf(order.id)).toEqual([2]);
      expect(await stockOf(app.db, sku)).toBe(1);
    },
  );

  it('fails an order whose every answer is lost, and voids its charge', async () => {
    await switchMode(app, 'sync');
    await gateway.tune({ lostResponseRate: 1 });
    try {
      const shopper = new Shopper(app, newShopper());
      const sku = await newProduct(app.db, { stock: 2 });
      const order = (await shopper.buy(sku)).body;

      expect(order.status).toBe('PAYMENT_FAILED');
      expect(order.failureReason).toBe('gateway timed out after 300 ms after 3 attempts');
      // It was charged on the first call: the void took the charge back.
      expect(await gateway.key(order.id as string)).toMatchObject({
        charges: 0,
        voided: true,
        answer: { status: 'APPROVED' },
      });
      expect(await gatewayCallsOf(order.id as string)).toEqual([3]);
      expect(await stockOf(app.db, sku)).toBe(2);
    } finally {
      await gateway.tune({ lostResponseRate: 0 });
    }
  });
});
