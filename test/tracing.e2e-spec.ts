import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppProcess, freePort } from './support/app-process';
import { launchChromium } from './support/browser';
import { E2E_DATABASE_ENV, E2E_KAFKA_ENV } from './support/database-url';
import { EventStream } from './support/event-stream';
import { ADMIN_TOKEN, newTopicPrefix } from './support/test-app';
import { waitFor } from './support/wait-for';
import { ZipkinServer } from './support/zipkin-server';

const SCREENSHOTS = join(__dirname, '..', 'test-output');

/** The spans an async order makes on its way, by where each one's work runs. */
const ON_THE_API = ['transaction', 'push to streams'];
/** Published by whichever instance's outbox relay claims the message's row first. */
const ON_EITHER = ['publish payment.order', 'publish payment.result'];
const ON_THE_WORKER = [
  'process payment.order',
  'wait for permit',
  'fraud check',
  'authorize payment',
  'gateway call',
  'process payment.result',
  'call back',
];

/**
 * One async order, accepted by an API instance and paid by a worker apart, followed in a real
 * Zipkin: one trace, from the HTTP request to the push of its result to the shopper's stream.
 */
describe('OpenTelemetry traces in Zipkin', () => {
  let zipkin: ZipkinServer;
  let api: AppProcess;
  let worker: AppProcess;
  const shopper = `traced-${randomUUID().slice(0, 8)}`;
  const sku = `TRACED-${randomUUID().slice(0, 8).toUpperCase()}`;

  beforeAll(async () => {
    zipkin = new ZipkinServer(await freePort());
    await zipkin.start();
    const shared = {
      DATABASE_URL: process.env[E2E_DATABASE_ENV]!,
      KAFKA_BROKERS: process.env[E2E_KAFKA_ENV]!,
      KAFKA_TOPIC_PREFIX: newTopicPrefix(),
      KAFKA_PARTITIONS: '3',
      ADMIN_TOKEN,
      GATEWAY_LATENCY_MS: '500',
      OUTBOX_POLL_MS: '100',
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const db = new Client({ connectionString: shared.DATABASE_URL });
    await db.connect();
    await db.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, 'Traced cap', 2400, 'EUR', 5)`,
      [sku],
    );
    await db.end();
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    api = AppProcess.start(
      { ...shared, APP_ROLES: 'api', OTEL_SERVICE_NAME: 'checkout-api' },
      apiPort,
    );
    worker = AppProcess.start(
      { ...shared, APP_ROLES: 'worker', OTEL_SERVICE_NAME: 'checkout-worker' },
      workerPort,
    );
    await Promise.all([api.ready(), worker.ready()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await zipkin?.stop();
  });

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, {
      ...init,
      headers: { 'Content-Type': 'application/json', 'X-User-Id': shopper, ...init.headers },
    });

  it('shows one async order as one trace, from the request to the push, across both processes', async () => {
    const switched = await call('/admin/mode', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ mode: 'async' }),
    });
    expect(switched.status).toBe(200);
    await call('/cart/items', { method: 'POST', body: JSON.stringify({ sku, quantity: 1 }) });
    const placed = await call('/orders', {
      method: 'POST',
      headers: { 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({ paymentToken: 'tok_visa' }),
    });
    const order = (await placed.json()) as { id: string; links: { events: string } };
    expect(placed.status).toBe(202);
    const traceId = placed.headers.get('x-trace-id')!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const stream = await EventStream.open(`${api.url}${order.links.events}`, {
      'X-User-Id': shopper,
    });
    try {
      const result = await stream.next('result', 20_000);
      expect(result.data).toMatchObject({ orderId: order.id, status: 'PAID' });
    } finally {
      stream.close();
    }

    // Exported in batches: the trace is read until every span has arrived.
    const spans = await waitFor(
      `every span of trace ${traceId} in Zipkin`,
      async () => {
        const found = await zipkin.trace(traceId);
        const all = [...ON_THE_API, ...ON_THE_WORKER, ...ON_EITHER];
        return all.every((name) => found.some((span) => span.name === name)) ? found : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const names = (service: string) =>
      spans.filter((span) => span.localEndpoint?.serviceName === service).map((s) => s.name);
    expect(names('checkout-api')).toEqual(expect.arrayContaining(ON_THE_API));
    expect(names('checkout-worker')).toEqual(expect.arrayContaining(ON_THE_WORKER));
    expect(spans.map((span) => span.name)).toEqual(expect.arrayContaining(ON_EITHER));
    // The HTTP instrumentation's spans: the order's request and the worker's callback.
    const served = spans.filter((span) => span.kind === 'SERVER').map((span) => span.name);
    expect(served).toEqual(
      expect.arrayContaining(['post /orders', 'post /internal/order-updates']),
    );
    expect(spans.some((span) => span.name.startsWith('pg.query'))).toBe(true);

    // One root (the order's request), and every other span's parent in the same trace.
    const ids = new Set(spans.map((span) => span.id));
    const roots = spans.filter((span) => !span.parentId);
    expect(roots.map((span) => [span.name, span.localEndpoint?.serviceName])).toEqual([
      ['post /orders', 'checkout-api'],
    ]);
    expect(spans.filter((span) => span.parentId && !ids.has(span.parentId))).toEqual([]);

    // Zipkin's own UI draws it: the picture in docs/architecture.md.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 2000 } });
      await page.goto(`${zipkin.url}/zipkin/traces/${traceId}`);
      await page.getByText('checkout-worker').first().waitFor({ timeout: 15_000 });
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'zipkin-trace.png'), fullPage: true });
      await page.getByText('authorize payment').first().waitFor();
    } finally {
      await browser.close();
    }

    // The logs of both processes carry the same trace id.
    const onApi = await api.logLinesUntil((lines) =>
      lines.some((line) => line.traceId === traceId && line.msg === 'order placed'),
    );
    const onWorker = await worker.logLinesUntil((lines) =>
      lines.some((line) => line.traceId === traceId && line.msg === 'payment settled'),
    );
    const placedLine = onApi.find(
      (line) => line.msg === 'order placed' && line.orderId === order.id,
    );
    const settledLine = onWorker.find(
      (line) => line.msg === 'payment settled' && line.orderId === order.id,
    );
    expect([placedLine?.traceId, settledLine?.traceId]).toEqual([traceId, traceId]);
  });
});
