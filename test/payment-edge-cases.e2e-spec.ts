import { createHash, randomUUID } from 'node:crypto';
import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, stockOf, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('a gateway that answers too late', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({
      GATEWAY_LATENCY_MS: '400',
      GATEWAY_TIMEOUT_MS: '100',
      PAYMENT_MAX_ATTEMPTS: '2',
    });
  });
  afterAll(() => app.close());

  it('fails the payment, voids the late authorization and charges nothing', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 3 });
    const order = (await shopper.buy(sku)).body;

    expect(order.status).toBe('PAYMENT_FAILED');
    expect(order.failureReason).toBe('gateway timed out after 100 ms after 2 attempts');
    // The late authorization finishes at the gateway after the answer; only then can it charge.
    await waitFor('the gateway to finish the late authorization', () =>
      Promise.resolve(app.gatewayLedger().inFlight === 0 ? true : undefined),
    );
    expect(app.gatewayLedger().charges.get(order.id as string) ?? 0).toBe(0);
    expect(await stockOf(app.db, sku)).toBe(3);
  });
});

describe('a sync order left waiting for its payment', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('is paid when the shopper retries with its Idempotency-Key, and charged once', async () => {
    // As the process would leave it had it died right after committing the order.
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 5, priceCents: 1200 });
    const orderId = randomUUID();
    const key = randomUUID();
    const body = { paymentToken: 'tok_visa' };
    const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    await app.db.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO orders (id, user_id, status, mode, amount_cents, currency, payment_token,
                             idempotency_key, request_hash)
         VALUES ($1, $2, 'PENDING_PAYMENT', 'sync', 2400, 'EUR', 'tok_visa', $3, $4)`,
        [orderId, shopper.id, key, hash],
      );
      await manager.query(
        `INSERT INTO order_lines (order_id, sku, name, unit_price_cents, quantity) VALUES ($1, $2, 'x', 1200, 2)`,
        [orderId, sku],
      );
      await manager.query(`UPDATE products SET stock = stock - 2 WHERE sku = $1`, [sku]);
      await manager.query(
        `INSERT INTO stock_reservations (order_id, sku, user_id, quantity, status) VALUES ($1, $2, $3, 2, 'RESERVED')`,
        [orderId, sku, shopper.id],
      );
    });

    const [first, second] = await Promise.all([
      shopper.placeOrder('tok_visa', key),
      shopper.placeOrder('tok_visa', key),
    ]);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect([first.body.status, second.body.status]).toEqual(['PAID', 'PAID']);
    expect(app.gatewayLedger().charges.get(orderId)).toBe(1);
    expect(await stockOf(app.db, sku)).toBe(3);
    const payments = await app.db.query(`SELECT id FROM payments WHERE order_id = $1`, [orderId]);
    expect(payments).toHaveLength(1);
  });

  it('counts every unit when the same product is added many times at once', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 50 });
    await Promise.all(Array.from({ length: 10 }, () => shopper.addToCart(sku, 1)));
    expect((await shopper.cart()).body.items[0].quantity).toBe(10);
  });
});

describe('a payment approved after another run of it was recorded failed', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ GATEWAY_LATENCY_MS: '1500' });
  });
  afterAll(() => app.close());

  it('voids its charge, and the order stays failed as the shopper was told', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 3 });
    await shopper.addToCart(sku, 1);
    const placing = shopper.placeOrder();
    const orderId = await waitFor('the order written, its payment under way', async () => {
      const [row] = await app.db.query<{ id: string }[]>(
        `SELECT id FROM orders WHERE user_id = $1`,
        [shopper.id],
      );
      return row?.id;
    });
    // As a replayed request of the same order records it when the gateway's circuit is open.
    await app.db.query(
      `INSERT INTO payments (id, order_id, attempt, status, amount_cents, currency, reasons)
       VALUES ($1, $2, 1, 'ERROR', 1000, 'EUR', '["gateway circuit open"]')`,
      [randomUUID(), orderId],
    );

    const order = (await placing).body;
    expect(order.id).toBe(orderId);
    expect(order.status).toBe('PAYMENT_FAILED');
    expect(app.gatewayLedger().charges.get(orderId) ?? 0).toBe(0);
    expect(await stockOf(app.db, sku)).toBe(3);
  });
});
