import { Response } from 'supertest';
import { SimulatedPaymentGateway } from '../src/modules/payment';
import { metricReaches, metricValue } from './support/metrics';
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

const REFUSED_FOR_CAPACITY = 'checkout_sync_refused_total{reason="capacity"}';

/** Ten shoppers with one unit each of a product, ordering at the same moment. */
async function rush(app: TestApp, shoppers = 10): Promise<{ sku: string; answers: Response[] }> {
  const sku = await newProduct(app.db, { stock: 10 });
  const crowd = Array.from({ length: shoppers }, () => new Shopper(app, newShopper()));
  for (const shopper of crowd) expect((await shopper.addToCart(sku, 1)).status).toBe(200);
  const answers = await Promise.all(crowd.map((shopper) => shopper.placeOrder()));
  return { sku, answers: answers.map((answer, i) => Object.assign(answer, { shopper: crowd[i] })) };
}

const shopperOf = (answer: Response): Shopper =>
  (answer as Response & { shopper: Shopper }).shopper;

describe('the sync bulkhead', () => {
  let app: TestApp;
  let gateway: SimulatedPaymentGateway;

  beforeAll(async () => {
    app = await startApp({
      SYNC_MAX_IN_FLIGHT: '2',
      SYNC_QUEUE_LENGTH: '20',
      SYNC_QUEUE_WAIT_MS: '1500',
      AUTO_ASYNC_ABOVE_IN_FLIGHT: '1',
      AUTO_SYNC_BELOW_IN_FLIGHT: '0',
    });
    gateway = app.app.get(SimulatedPaymentGateway);
    gateway.tune({ latencyMs: 1000 });
  });
  afterAll(() => app.close());

  it('pays 2 sync checkouts at a time and refuses those that waited too long with 503, leaving nothing behind', async () => {
    const callsBefore = gateway.ledger().calls;
    const { sku, answers } = await rush(app);

    const paid = answers.filter((a) => a.status === 201 && a.body.status === 'PAID');
    const refused = answers.filter((a) => a.status === 503);
    // Ten payments of a second each, two at a time, cannot all start within 1.5 s.
    expect(paid.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(paid.length + refused.length).toBe(10);
    expect(gateway.ledger().peakInFlight).toBeLessThanOrEqual(2);
    expect(gateway.ledger().calls - callsBefore).toBe(paid.length);
    for (const answer of refused) {
      expect(answer.headers['retry-after']).toBe('2');
      expect(answer.body).toMatchObject({
        statusCode: 503,
        error: 'PaymentCapacityExhausted',
        message: expect.stringMatching(/^Payment capacity is exhausted/),
      });
      const shopper = shopperOf(answer);
      const orders = await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [shopper.id]);
      expect(orders).toEqual([]);
      const held = await app.db.query(`SELECT * FROM stock_reservations WHERE user_id = $1`, [
        shopper.id,
      ]);
      expect(held).toEqual([]);
      const items = await app.db.query<{ held_by: string | null }[]>(
        `SELECT held_by FROM cart_items WHERE user_id = $1`,
        [shopper.id],
      );
      expect(items).toEqual([{ held_by: null }]);
    }
    expect(await stockOf(app.db, sku)).toBe(10 - paid.length);
    expect(await metricValue(app, REFUSED_FOR_CAPACITY)).toBe(refused.length);
    expect(await metricValue(app, 'checkout_sync_bulkhead_in_use')).toBe(0);
    expect(await metricValue(app, 'checkout_sync_bulkhead_queued')).toBe(0);

    // A refused shopper's cart is intact: retried once the rush is over, the order is paid.
    const again = await shopperOf(refused[0]).placeOrder();
    expect(again.status).toBe(201);
    expect(again.body.status).toBe('PAID');
  });

  it('never holds an async order at the bulkhead', async () => {
    await switchMode(app, 'async');
    try {
      const refusedBefore = await metricValue(app, REFUSED_FOR_CAPACITY);
      const { answers } = await rush(app);
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
      expect(await metricValue(app, REFUSED_FOR_CAPACITY)).toBe(refusedBefore);
      for (const answer of answers) {
        const order = await finalOrder(app, shopperOf(answer).id, answer.body.id as string);
        expect(order.status).toBe('PAID');
      }
    } finally {
      await switchMode(app, 'sync');
    }
  });

  it('refuses a payment retry with 503 past the wait, and the order stays as it was', async () => {
    const sku = await newProduct(app.db, { stock: 10 });
    const retrier = new Shopper(app, newShopper());
    const failed = await retrier.buy(sku, 1, 'tok_decline_card');
    expect(failed.body.status).toBe('PAYMENT_FAILED');

    // Two slow checkouts hold both slots for a second; the retry cannot get one within 1.5 s
    // only if more wait ahead of it, so four go first.
    const crowd = Array.from({ length: 4 }, () => new Shopper(app, newShopper()));
    for (const shopper of crowd) await shopper.addToCart(sku, 1);
    const ahead = crowd.map((shopper) => shopper.placeOrder());
    await metricReaches(app, 'checkout_sync_bulkhead_queued', 2, 1000);
    const retried = await retrier.retryPayment(failed.body.id as string);
    await Promise.all(ahead);

    expect(retried.status).toBe(503);
    expect(retried.body.message).toMatch(/^Payment capacity is exhausted/);
    const order = await retrier.order(failed.body.id as string);
    expect(order.body).toMatchObject({ status: 'PAYMENT_FAILED' });
    const retries = await app.db.query(`SELECT * FROM payment_retries WHERE order_id = $1`, [
      failed.body.id,
    ]);
    expect(retries).toEqual([]);
  });
});
