import { setTimeout as sleep } from 'node:timers/promises';
import { EventStream } from './support/event-stream';
import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, TestApp } from './support/test-app';

describe('following an order live over SSE', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ GATEWAY_LATENCY_MS: '1500', SSE_HEARTBEAT_MS: '200' });
  });
  afterAll(() => app.close());

  it('opens with the order as it is now, then keeps the stream alive', async () => {
    const shopper = new Shopper(app, newShopper());
    const order = (await shopper.buy(await newProduct(app.db, { stock: 1 }))).body;

    const stream = await EventStream.open(`${app.url}/orders/${order.id}/events`, {
      'X-User-Id': shopper.id,
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      const status = await stream.next('status');
      expect(status.data).toMatchObject({ id: order.id, status: 'PAID' });
      await stream.next('heartbeat', 2000);
    } finally {
      stream.close();
    }
  });

  it('pushes the payment result to a stream opened while the payment runs', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 1 });
    await shopper.addToCart(sku, 1);
    const placing = shopper.placeOrder();
    const orderId = await placedOrderOf(app, shopper.id);

    const stream = await EventStream.open(`${app.url}/orders/${orderId}/events`, {
      'X-User-Id': shopper.id,
    });
    try {
      expect((await stream.next('status')).data).toMatchObject({ status: 'PENDING_PAYMENT' });
      const result = await stream.next('result', 10_000);
      expect(result.data).toMatchObject({
        orderId,
        status: 'PAID',
        outcome: 'APPROVED',
        message: 'Your payment of 10.00 EUR was approved. Your order is confirmed.',
      });
      expect((await placing).body.status).toBe('PAID');
    } finally {
      stream.close();
    }
  });
});

/** The id of the shopper's order once its placement has committed (its payment still running). */
async function placedOrderOf(app: TestApp, userId: string): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const rows: { id: string }[] = await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [
      userId,
    ]);
    if (rows.length > 0) return rows[0].id;
    await sleep(20);
  }
  throw new Error(`No order placed for ${userId}`);
}
