import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AppProcess, freePort } from './support/app-process';
import { E2E_DATABASE_ENV, E2E_KAFKA_ENV } from './support/database-url';
import { EventStream } from './support/event-stream';
import { ADMIN_TOKEN, newTopicPrefix } from './support/test-app';

/** The same build run as an API-only and a worker-only instance, as operators deploy it. */
describe('API-only and worker-only instances', () => {
  let api: AppProcess;
  let worker: AppProcess;
  const shopper = `roles-${randomUUID().slice(0, 8)}`;
  const sku = `ROLES-${randomUUID().slice(0, 8).toUpperCase()}`;
  const trace = randomBytes(16).toString('hex');

  beforeAll(async () => {
    const shared = {
      DATABASE_URL: process.env[E2E_DATABASE_ENV]!,
      KAFKA_BROKERS: process.env[E2E_KAFKA_ENV]!,
      KAFKA_TOPIC_PREFIX: newTopicPrefix(),
      KAFKA_PARTITIONS: '3',
      INTERNAL_SECRET: 'shared-internal-secret-for-tests',
      ADMIN_TOKEN,
      GATEWAY_LATENCY_MS: '1000',
      OUTBOX_POLL_MS: '100',
    };
    const db = new Client({ connectionString: shared.DATABASE_URL });
    await db.connect();
    await db.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, 'Roles cap', 2400, 'EUR', 5)`,
      [sku],
    );
    await db.end();
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    api = AppProcess.start(
      { ...shared, APP_ROLES: 'api', PUBLIC_URL: `http://127.0.0.1:${apiPort}` },
      apiPort,
    );
    worker = AppProcess.start({ ...shared, APP_ROLES: 'worker' }, workerPort);
    await Promise.all([api.ready(), worker.ready()]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  const call = (app: AppProcess, path: string, init: RequestInit = {}) =>
    fetch(`${app.url}${path}`, {
      ...init,
      headers: { 'Content-Type': 'application/json', 'X-User-Id': shopper, ...init.headers },
    });

  it('pushes a result computed on the worker to the SSE stream of the API instance', async () => {
    const switched = await call(api, '/admin/mode', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ mode: 'async' }),
    });
    expect(switched.status).toBe(200);
    await call(api, '/cart/items', {
      method: 'POST',
      body: JSON.stringify({ sku, quantity: 1 }),
    });

    const placed = await call(api, '/orders', {
      method: 'POST',
      headers: {
        'Idempotency-Key': randomUUID(),
        traceparent: `00-${trace}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({ paymentToken: 'tok_visa' }),
    });
    const order = (await placed.json()) as {
      id: string;
      status: string;
      links: { events: string };
    };
    expect([placed.status, order.status]).toEqual([202, 'PENDING_PAYMENT']);

    const stream = await EventStream.open(`${api.url}${order.links.events}`, {
      'X-User-Id': shopper,
    });
    try {
      const result = await stream.next('result', 20_000);
      expect(result.data).toMatchObject({ orderId: order.id, status: 'PAID', outcome: 'APPROVED' });
    } finally {
      stream.close();
    }
  });

  it('follows one order across both instances by its trace id', async () => {
    const onApi = await api.logLinesUntil((lines) =>
      lines.some((l) => l.traceId === trace && l.msg === 'order placed'),
    );
    const onWorker = await worker.logLinesUntil((lines) =>
      lines.some((l) => l.traceId === trace && l.msg === 'called back'),
    );
    expect(onApi.filter((l) => l.traceId === trace).map((l) => l.msg)).toEqual(
      expect.arrayContaining(['order placed', 'request completed']),
    );
    expect(onWorker.filter((l) => l.traceId === trace).map((l) => l.msg)).toEqual(
      expect.arrayContaining(['payment settled', 'order settled', 'called back']),
    );
  });

  it('keeps the API off the worker, and its consumer out of the API', async () => {
    const refused = await call(worker, '/orders', {
      method: 'POST',
      headers: { 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({ paymentToken: 'tok_visa' }),
    });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { message: string }).message).toMatch(/worker role only/);

    const workerHealth = (await (await fetch(`${worker.url}/health/ready`)).json()) as {
      details: { kafka: { consumer: string; assignedPartitions: number } };
    };
    expect(workerHealth.details.kafka).toMatchObject({ consumer: 'connected' });
    expect(workerHealth.details.kafka.assignedPartitions).toBeGreaterThan(0);
    const apiHealth = (await (await fetch(`${api.url}/health/ready`)).json()) as {
      details: { kafka: Record<string, unknown> };
    };
    expect(apiHealth.details.kafka.consumer).toBeUndefined();
  });
});
