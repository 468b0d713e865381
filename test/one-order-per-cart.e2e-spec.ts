import { randomUUID } from 'node:crypto';
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

describe("a shopper retrying another shopper's payment", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('gets 404 whether or not the key is the owner’s, and learns nothing of it', async () => {
    const sku = await newProduct(app.db, { stock: 5 });
    const alice = new Shopper(app, newShopper());
    const bob = new Shopper(app, newShopper());
    await alice.addToCart(sku, 1);
    const failed = await alice.placeOrder('tok_decline');
    const orderId = failed.body.id as string;
    const aliceKey = randomUUID();
    expect((await alice.retryPayment(orderId, 'tok_decline', aliceKey)).status).toBe(201);

    for (const key of [aliceKey, randomUUID()]) {
      const answer = await bob.retryPayment(orderId, 'tok_visa', key);
      expect(answer.status).toBe(404);
      expect(answer.body.message).toBe(`Order ${orderId} does not exist.`);
      expect(answer.text).not.toContain(aliceKey);
    }
    expect((await bob.order(orderId)).status).toBe(404);
  });
});
