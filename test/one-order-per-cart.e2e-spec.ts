import { randomUUID } from 'node:crypto';
import { SimulatedPaymentGateway } from '../src/modules/payment';
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
import { waitFor } from './support/wait-for';

const CLICKS = 20;

/** One `POST /orders` per click, each with a key of its own, all at once. */
async function clickOrderRepeatedly(shopper: Shopper, paymentToken = 'tok_visa') {
  return Promise.all(
    Array.from({ length: CLICKS }, () => shopper.placeOrder(paymentToken, randomUUID())),
  );
}

describe.each(['sync', 'async'] as const)(
  'one cart becomes at most one order (%s mode)',
  (mode) => {
    let app: TestApp;

    beforeAll(async () => {
      app = await startApp();
      await switchMode(app, mode);
    });
    afterAll(() => app.close());

    it('accepts one of many concurrent orders under different keys, and names it to the rest', async () => {
      const sku = await newProduct(app.db, { stock: 5 });
      const shopper = new Shopper(app, newShopper());
      await shopper.addToCart(sku, 1);

      const answers = await clickOrderRepeatedly(shopper);

      const placed = answers.filter((answer) => answer.status === 201 || answer.status === 202);
      expect(placed).toHaveLength(1);
      const orderId = placed[0].body.id as string;
      // While the order is under way the others are told which it is; a click that arrives once
      // its payment is done (sync mode pays within the request) finds the cart emptied.
      const refused = answers
        .filter((answer) => answer !== placed[0])
        .map(({ body }) => body as { statusCode: number; message: string });
      for (const answer of refused) {
        if (answer.statusCode === 422) {
          expect(answer.message).toMatch(/cart is empty/);
          continue;
        }
        expect(answer).toMatchObject({
          statusCode: 409,
          error: 'OrderUnderWay',
          details: { orderId },
        });
        expect(answer.message).toContain(orderId);
      }
      expect(refused.filter((answer) => answer.statusCode === 409).length).toBeGreaterThan(0);
      expect((await finalOrder(app, shopper.id, orderId)).status).toBe('PAID');
      expect(app.gatewayLedger().charges.get(orderId)).toBe(1);
      expect(await stockOf(app.db, sku)).toBe(4);
      const orders = await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [shopper.id]);
      expect(orders).toEqual([{ id: orderId }]);
      expect((await shopper.cart()).body.items).toEqual([]);
    });

    it('refuses changes to the cart while an order holds it', async () => {
      const gateway = app.app.get(SimulatedPaymentGateway);
      gateway.tune({ latencyMs: 1000 });
      try {
        const sku = await newProduct(app.db, { stock: 5 });
        const other = await newProduct(app.db, { stock: 5 });
        const shopper = new Shopper(app, newShopper());
        await shopper.addToCart(sku, 1);
        const placing = shopper.placeOrder();
        const orderId = await waitFor('the order to hold the cart', async () => {
          const held = (await shopper.cart()).body.orderUnderWay as string | null;
          return held ?? undefined;
        });
        const changes = [
          await shopper.addToCart(other, 1),
          await app
            .http()
            .patch(`/cart/items/${sku}`)
            .set('X-User-Id', shopper.id)
            .send({ quantity: 3 }),
          await app.http().delete(`/cart/items/${sku}`).set('X-User-Id', shopper.id),
        ];
        for (const answer of changes) {
          expect(answer.status).toBe(409);
          expect(answer.body).toMatchObject({ error: 'OrderUnderWay', details: { orderId } });
        }
        expect((await placing).body.id).toBe(orderId);
        expect((await finalOrder(app, shopper.id, orderId)).status).toBe('PAID');
        expect((await shopper.cart()).body).toMatchObject({ items: [], orderUnderWay: null });
      } finally {
        gateway.tune({ latencyMs: 5 });
      }
    });

    it('keeps the cart as it was after a failed payment, free for the next order', async () => {
      const sku = await newProduct(app.db, { stock: 5 });
      const shopper = new Shopper(app, newShopper());
      await shopper.addToCart(sku, 2);

      const failed = await shopper.placeOrder('tok_decline');
      expect((await finalOrder(app, shopper.id, failed.body.id)).status).toBe('PAYMENT_FAILED');

      const cart = (await shopper.cart()).body;
      expect(cart.items).toEqual([expect.objectContaining({ sku, quantity: 2 })]);
      expect(await stockOf(app.db, sku)).toBe(5);

      const answers = await clickOrderRepeatedly(shopper);
      const placed = answers.filter((answer) => answer.status === 201 || answer.status === 202);
      expect(placed).toHaveLength(1);
      expect((await finalOrder(app, shopper.id, placed[0].body.id)).status).toBe('PAID');
      expect(await stockOf(app.db, sku)).toBe(3);
      expect((await shopper.cart()).body.items).toEqual([]);
    });

    it('refuses to retry a failed payment while another order holds the cart, and the other way round', async () => {
      const sku = await newProduct(app.db, { stock: 5 });
      const shopper = new Shopper(app, newShopper());
      await shopper.addToCart(sku, 1);
      const failed = await shopper.placeOrder('tok_decline');
      await finalOrder(app, shopper.id, failed.body.id);

      // Both at once, many times over: whichever holds the cart first, the other is refused.
      const [retries, orders] = await Promise.all([
        Promise.all(Array.from({ length: CLICKS / 2 }, () => shopper.retryPayment(failed.body.id))),
        clickOrderRepeatedly(shopper),
      ]);
      const started = [...retries, ...orders].filter(
        (answer) => answer.status === 201 || answer.status === 202,
      );
      expect(started).toHaveLength(1);
      const underWay = started[0].body.id as string;
      await finalOrder(app, shopper.id, underWay);
      // A retried payment is charged under a key of its attempt, whose name starts with the order's.
      const charges = [...app.gatewayLedger().charges].filter(([key]) => key.startsWith(underWay));
      expect(charges.map(([, count]) => count)).toEqual([1]);
      const paid = await app.db.query(
        `SELECT id FROM orders WHERE user_id = $1 AND status = 'PAID'`,
        [shopper.id],
      );
      expect(paid).toEqual([{ id: underWay }]);
      expect(await stockOf(app.db, sku)).toBe(4);
    });
  },
);

describe('an order decided whose result never reached the cart', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('has its units and the cart let go by the watchdog, so the shopper can order again', async () => {
    const sku = await newProduct(app.db, { stock: 5 });
    const shopper = new Shopper(app, newShopper());
    await shopper.addToCart(sku, 2);
    const failed = (await shopper.placeOrder('tok_decline')).body as { id: string };
    // As the cart's handler leaves it when its transaction fails after the order's committed.
    await app.db.query(`UPDATE cart_items SET held_by = $1 WHERE user_id = $2`, [
      failed.id,
      shopper.id,
    ]);
    await app.db.query(
      `UPDATE stock_reservations SET status = 'RESERVED', updated_at = now() - interval '1 minute'
        WHERE order_id = $1`,
      [failed.id],
    );
    await app.db.query(`UPDATE products SET stock = stock - 2 WHERE sku = $1`, [sku]);
    await app.db.query(`UPDATE orders SET updated_at = now() - interval '1 minute' WHERE id = $1`, [
      failed.id,
    ]);
    expect((await shopper.placeOrder()).status).toBe(409);

    await waitFor(
      'the watchdog to let the cart go',
      async () => ((await shopper.cart()).body.orderUnderWay === null ? true : undefined),
      { timeoutMs: 30_000 },
    );
    expect(await stockOf(app.db, sku)).toBe(5);
    const placed = await shopper.placeOrder();
    expect(placed.status).toBe(201);
    expect(placed.body.status).toBe('PAID');
    expect(await stockOf(app.db, sku)).toBe(3);
  });
});

describe("a shopper retrying another shopper's payment", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('gets 404 whether or not the key and the body are the owner’s, and learns nothing of it, in sync and async mode', async () => {
    for (const mode of ['sync', 'async'] as const) {
      await switchMode(app, mode);
      const sku = await newProduct(app.db, { stock: 5 });
      const alice = new Shopper(app, newShopper());
      const bob = new Shopper(app, newShopper());
      await alice.addToCart(sku, 1);
      const failed = await alice.placeOrder('tok_decline');
      const orderId = failed.body.id as string;
      await finalOrder(app, alice.id, orderId);
      const aliceKey = randomUUID();
      const retried = await alice.retryPayment(orderId, 'tok_decline', aliceKey);
      expect(retried.status).toBe(mode === 'sync' ? 201 : 202);

      // Alice's key with Alice's body is the one request a replay of her retry would answer.
      for (const [key, paymentToken] of [
        [aliceKey, 'tok_decline'],
        [aliceKey, 'tok_visa'],
        [randomUUID(), 'tok_visa'],
      ]) {
        const answer = await bob.retryPayment(orderId, paymentToken, key);
        expect(answer.status).toBe(404);
        expect(answer.body.message).toBe(`Order ${orderId} does not exist.`);
        expect(answer.text).not.toContain(aliceKey);
      }
      expect((await bob.order(orderId)).status).toBe(404);
    }
  });
});
