import { randomBytes } from 'node:crypto';
import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, TestApp } from './support/test-app';

describe('operating the app: health, metrics, API docs', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it("answers liveness, and readiness with the database and the worker's consumer checked", async () => {
    const live = await app.http().get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');
    expect(live.body.details.kafka).toEqual({ status: 'up', consumer: 'connected' });
    const ready = await app.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.database).toEqual({ status: 'up' });
    expect(ready.body.details.kafka).toMatchObject({
      status: 'up',
      consumer: 'connected',
      assignedPartitions: expect.any(Number),
    });
  });

  it('exposes checkout, gateway and process metrics in Prometheus format', async () => {
    const shopper = new Shopper(app, newShopper());
    await shopper.buy(await newProduct(app.db, { stock: 1 }));
    await shopper.buy(await newProduct(app.db, { stock: 0 }));

    const metrics = await app.http().get('/metrics');

    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/checkout_accept_seconds_count\{mode="sync",status="201"\} 1/);
    expect(metrics.text).toMatch(/checkout_orders_settled_total\{status="PAID"\} 1/);
    expect(metrics.text).toMatch(/payment_gateway_seconds_count\{result="approved"\} 1/);
    expect(metrics.text).toMatch(/process_resident_memory_bytes/);
    // Alone in its group, the worker consumes the 3 partitions of both payment topics.
    expect(metrics.text).toMatch(/^kafka_consumer_assigned_partitions 6$/m);
  });

  it('counts a refused order with the status it was refused with', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 1 });
    await shopper.addToCart(sku, 1);
    await app.db.query(`UPDATE products SET stock = 0 WHERE sku = $1`, [sku]);
    expect((await shopper.placeOrder()).status).toBe(409);
    const metrics = await app.http().get('/metrics');
    expect(metrics.text).toMatch(/checkout_accept_seconds_count\{mode="none",status="409"\} 1/);
  });

  it('serves the OpenAPI document and its UI', async () => {
    const document = await app.http().get('/docs-json');
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/products',
        '/cart',
        '/cart/items',
        '/cart/items/{sku}',
        '/orders',
        '/orders/{id}',
        '/orders/{id}/timeline',
        '/orders/{id}/events',
        '/health/ready',
      ]),
    );
    expect(document.body.paths['/orders'].post.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
        expect.objectContaining({ name: 'X-User-Id', in: 'header', required: true }),
      ]),
    );
    const ui = await app.http().get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
  });

  it("continues the caller's W3C trace, or starts one, and answers its id", async () => {
    const traceId = randomBytes(16).toString('hex');
    const given = await app
      .http()
      .get('/products')
      .set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
    expect(given.headers['x-trace-id']).toBe(traceId);
    const fresh = await app.http().get('/products');
    expect(fresh.headers['x-trace-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.headers['x-trace-id']).not.toBe(traceId);
  });
});
