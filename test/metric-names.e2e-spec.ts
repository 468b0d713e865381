import { promtool } from './support/promtool';
import { Shopper } from './support/shopper';
import {
  finalOrder,
  newProduct,
  newShopper,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

describe('metric names', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  /** Orders placed together, each by its own shopper, and paid. */
  async function sell(orders: number): Promise<void> {
    await Promise.all(
      Array.from({ length: orders }, async () => {
        const shopper = new Shopper(app, newShopper());
        const placed = await shopper.buy(await newProduct(app.db, { stock: 1 }));
        expect([201, 202]).toContain(placed.status);
        expect((await finalOrder(app, shopper.id, placed.body.id as string)).status).toBe('PAID');
      }),
    );
  }

  it('follow the Prometheus conventions on a live /metrics after a sale, sync and async', async () => {
    await sell(3);
    await switchMode(app, 'async');
    await sell(3);

    const metrics = await app.http().get('/metrics');
    expect(metrics.text).toMatch(/^checkout_accept_seconds_count\{mode="async",status="202"\} 3$/m);
    const lint = promtool(['check', 'metrics'], metrics.text);

    expect(lint).toEqual({ status: 0, output: '' });
  });
});
