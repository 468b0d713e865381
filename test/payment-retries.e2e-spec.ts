import { randomUUID } from 'node:crypto';
import { Shopper } from './support/shopper';
import { waitFor } from './support/wait-for';
import {
  finalOrder,
  newProduct,
  newShopper,
  startApp,
  stockOf,
  switchMode,
  TestApp,
} from './support/test-app';

describe.each(['sync', 'async'] as const)('retrying a failed payment (%s mode)', (mode) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
    await switchMode(app, mode);
  });
  afterAll(() => app.close());

  /** An order whose card was declined: PAYMENT_FAILED, its unit back on sale. */
  async function failedOrder(stock = 1) {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock });
    const placed = await shopper.buy(sku, 1, 'tok_decline_card');
    const order = await finalOrder(app, shopper.id, placed.body.id as string);
    expect(order.status).toBe('PAYMENT_FAILED');
    expect(await stockOf(app.db, sku)).toBe(stock);
    return { shopper, sku, orderId: order.id };
  }

  it('pays with another card as a new attempt, holding the unit again', async () => {
    const { shopper, sku, orderId } = await failedOrder();
    const retried = await shopper.retryPayment(orderId, 'tok_visa');
    expect(retried.status).toBe(mode === 'sync' ? 201 : 202);
    expect(retried.body).toMatchObject({ id: orderId, paymentAttempt: 2, mode });

    const order = await finalOrder(app, shopper.id, orderId);
    expect(order).toMatchObject({ status: 'PAID', paymentAttempt: 2, failureReason: null });
    expect(await stockOf(app.db, sku)).toBe(0);
    expect(app.gatewayLedger().charges.get(`${orderId}/2`)).toBe(1);
    expect(app.gatewayLedger().charges.has(orderId)).toBe(false);
    // The shopper hears of each attempt's result, the retried one included.
    // Notices are recorded beside the order's result: the second may come just after.
    const notices = await waitFor('a notice of each attempt', async () => {
      const kinds = await app.db.query<{ kind: string }[]>(
        `SELECT DISTINCT kind FROM notifications WHERE order_id = $1 ORDER BY kind`,
        [orderId],
      );
      return kinds.length >= 2 ? kinds : undefined;
    });
    expect(notices.map((n) => n.kind)).toEqual(['payment_result', 'payment_result/2']);
    const timeline = (await shopper.timeline(orderId)).body as { type: string }[];
    expect(timeline.map((entry) => entry.type)).toEqual([
      'PLACED',
      'PAYMENT_FAILED',
      'PENDING_PAYMENT',
      'PAID',
    ]);
  });

  it('answers a repeated retry with the same attempt, and never charges twice', async () => {
    const { shopper, orderId } = await failedOrder();
    const key = randomUUID();
    const first = await shopper.retryPayment(orderId, 'tok_visa', key);
    expect(first.status).toBe(mode === 'sync' ? 201 : 202);
    await finalOrder(app, shopper.id, orderId);
    const calls = app.gatewayLedger().calls;

    const again = await shopper.retryPayment(orderId, 'tok_visa', key);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toMatchObject({ id: orderId, status: 'PAID', paymentAttempt: 2 });
    const other = await shopper.retryPayment(orderId, 'tok_mastercard', key);
    expect(other.status).toBe(422);

    const paid = await shopper.retryPayment(orderId, 'tok_visa');
    expect(paid.status).toBe(409);
    expect(paid.body.message).toMatch(/is PAID: only a PAYMENT_FAILED order/);
    expect(app.gatewayLedger().calls).toBe(calls);
  });

  it('refuses when the unit sold out meanwhile, and changes nothing', async () => {
    const { shopper, sku, orderId } = await failedOrder();
    const rival = new Shopper(app, newShopper());
    const bought = await rival.buy(sku);
    await finalOrder(app, rival.id, bought.body.id as string);

    const retried = await shopper.retryPayment(orderId, 'tok_visa');
    expect(retried.status).toBe(409);
    expect(retried.body.message).toMatch(/has 0 left, 1 requested/);
    expect((await shopper.order(orderId)).body).toMatchObject({
      status: 'PAYMENT_FAILED',
      paymentAttempt: 1,
    });
  });

  it("does not let a shopper retry another's order, and needs a key", async () => {
    const { orderId } = await failedOrder();
    const stranger = new Shopper(app, newShopper());
    expect((await stranger.retryPayment(orderId)).status).toBe(404);
    const keyless = await app
      .http()
      .post(`/orders/${orderId}/payment-retries`)
      .set('X-User-Id', 'someone')
      .send({ paymentToken: 'tok_visa' });
    expect(keyless.status).toBe(400);
  });
});
