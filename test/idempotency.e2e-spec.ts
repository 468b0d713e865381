import { randomUUID } from 'node:crypto';
import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, stockOf, TestApp } from './support/test-app';

describe('Idempotency-Key on POST /orders', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('returns the same order for the same key and charges once', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 10 });
    await shopper.addToCart(sku, 1);
    const key = randomUUID();

    const first = await shopper.placeOrder('tok_visa', key);
    await shopper.addToCart(sku, 1); // the cart changed since: a replay still is the same order
    const again = await shopper.placeOrder('tok_visa', key);

    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.status).toBe('PAID');
    expect(app.gatewayLedger().charges.get(first.body.id)).toBe(1);
    const payments = await app.db.query(`SELECT id FROM payments WHERE order_id = $1`, [
      first.body.id,
    ]);
    expect(payments).toHaveLength(1);
    expect(await stockOf(app.db, sku)).toBe(9);
  });

  it('places one order when the same key arrives many times at once', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 10 });
    await shopper.addToCart(sku, 1);
    const key = randomUUID();

    const answers = await Promise.all(
      Array.from({ length: 8 }, () => shopper.placeOrder('tok_visa', key)),
    );

    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id as string)).size).toBe(1);
    const orders = await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [shopper.id]);
    expect(orders).toHaveLength(1);
    expect(app.gatewayLedger().charges.get(orders[0].id)).toBe(1);
    expect(await stockOf(app.db, sku)).toBe(9);
  });

  it('refuses a different body under a used key with a 422 naming the earlier order', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 10 });
    await shopper.addToCart(sku, 1);
    const key = randomUUID();
    const first = await shopper.placeOrder('tok_visa', key);

    const other = await shopper.placeOrder('tok_mastercard', key);

    expect(other.status).toBe(422);
    expect(other.body.message).toBe(
      `Idempotency-Key ${key} was already used for a different request (order ${first.body.id}); ` +
        'use a new key for a new order.',
    );
    const orders = await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [shopper.id]);
    expect(orders).toHaveLength(1);
  });

  it('scopes keys per shopper: two shoppers may use the same key', async () => {
    const sku = await newProduct(app.db, { stock: 10 });
    const key = randomUUID();
    const [a, b] = [new Shopper(app, newShopper()), new Shopper(app, newShopper())];
    await a.addToCart(sku, 1);
    await b.addToCart(sku, 1);

    const [orderA, orderB] = [
      await a.placeOrder('tok_visa', key),
      await b.placeOrder('tok_visa', key),
    ];

    expect([orderA.status, orderB.status]).toEqual([201, 201]);
    expect(orderA.body.id).not.toBe(orderB.body.id);
  });

  it('requires the header, and says how to use it', async () => {
    const shopper = new Shopper(app, newShopper());
    const answer = await app
      .http()
      .post('/orders')
      .set('X-User-Id', shopper.id)
      .send({ paymentToken: 'tok_visa' });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/Idempotency-Key header is required/);
  });
});
