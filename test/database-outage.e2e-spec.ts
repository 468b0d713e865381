import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { PostgresCluster } from '../drills/postgres-cluster';
import { AppProcess, freePort } from './support/app-process';
import { E2E_KAFKA_ENV } from './support/database-url';
import { ADMIN_TOKEN, newTopicPrefix } from './support/test-app';

const CONNECTION_TIMEOUT_MS = 1000;
/** An answer while the database is down comes within the pool's connect timeout, and then some. */
const ANSWER_BOUND_MS = CONNECTION_TIMEOUT_MS + 1500;
const ROUNDS = 4;
const OUTAGE_LINE = /^database unavailable/;
const RECOVERY_LINE = /^database reachable again/;

interface Answer {
  path: string;
  status: number;
  retryAfter: string | null;
  body: unknown;
  ms: number;
}

/**
 * PostgreSQL stops under a running instance (a crash, a failover, a restart for an upgrade):
 * every request gets a quick, retryable answer meanwhile, and the instance serves again on its
 * own when the database is back.
 */
describe('the database going away under a running instance', () => {
  let cluster: PostgresCluster;
  let app: AppProcess;
  const shopper = `outage-${randomUUID().slice(0, 8)}`;
  const sku = `OUTAGE-${randomUUID().slice(0, 8).toUpperCase()}`;
  let orderId: string;

  beforeAll(async () => {
    cluster = await PostgresCluster.create(await freePort());
    await cluster.start();
    const port = await freePort();
    app = AppProcess.start(
      {
        DATABASE_URL: cluster.serverUrl,
        DATABASE_CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
        KAFKA_BROKERS: process.env[E2E_KAFKA_ENV]!,
        KAFKA_TOPIC_PREFIX: newTopicPrefix(),
        KAFKA_PARTITIONS: '3',
        ADMIN_TOKEN,
        GATEWAY_LATENCY_MS: '5',
        SEED_DEMO_CATALOGUE: 'false',
        SETTINGS_POLL_MS: '500',
      },
      port,
    );
    await app.ready(60_000);
    const db = new Client({ connectionString: cluster.serverUrl });
    await db.connect();
    await db.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, 'Outage mug', 900, 'EUR', 10)`,
      [sku],
    );
    await db.end();
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await cluster?.destroy();
  }, 120_000);

  const call = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const started = Date.now();
    const response = await fetch(`${app.url}${path}`, {
      ...init,
      headers: { 'Content-Type': 'application/json', 'X-User-Id': shopper, ...init.headers },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the assertion to show
    }
    return {
      path,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body,
      ms: Date.now() - started,
    };
  };

  const addToCart = () =>
    call('/cart/items', { method: 'POST', body: JSON.stringify({ sku, quantity: 1 }) });
  const placeOrder = () =>
    call('/orders', {
      method: 'POST',
      headers: { 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({ paymentToken: 'tok_visa' }),
    });

  /** What a shopper and an admin do, one request of each kind. */
  const everyKindOfRequest = () => [
    call('/products'),
    call('/cart'),
    addToCart(),
    placeOrder(),
    call(`/orders/${orderId}`),
    call(`/orders/${orderId}/timeline`),
    call(`/orders/${orderId}/events`),
    call('/admin/mode', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ mode: 'sync', reason: 'outage test' }),
    }),
    call('/admin/stuck-orders', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
  ];

  it('serves while the database is up', async () => {
    expect((await addToCart()).status).toBe(200);
    const placed = await placeOrder();
    expect([placed.status, (placed.body as { status: string }).status]).toEqual([201, 'PAID']);
    orderId = (placed.body as { id: string }).id;
  });

  it('answers every request 503 with Retry-After while the database is down, quickly', async () => {
    await cluster.stop();
    const answers: Answer[] = [];
    // Spread over a few seconds, so the instance's own loops (settings, relay, figures) run too.
    for (let round = 0; round < ROUNDS; round++) {
      answers.push(...(await Promise.all(everyKindOfRequest())));
      await sleep(1000);
    }
    const unexpected = answers.filter(
      (answer) =>
        answer.status !== 503 ||
        !/^\d+$/.test(answer.retryAfter ?? '') ||
        answer.ms > ANSWER_BOUND_MS,
    );
    expect(unexpected).toEqual([]);
    for (const { body } of answers) {
      expect(body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/database is unreachable/) as string,
      });
    }
    console.log(
      `answers while down (ms): max ${Math.max(...answers.map((a) => a.ms))} of ${answers.length}`,
    );
  }, 120_000);

  it('serves again on its own once the database is back', async () => {
    await cluster.start();
    const back = Date.now();
    for (;;) {
      const products = await call('/products');
      if (products.status === 200) break;
      expect(Date.now() - back).toBeLessThan(15_000);
      await sleep(200);
    }
    console.log(`serving again ${Date.now() - back} ms after the database started`);
    expect((await addToCart()).status).toBe(200);
    const placed = await placeOrder();
    expect([placed.status, (placed.body as { status: string }).status]).toEqual([201, 'PAID']);
  }, 60_000);

  it('logged the outage once and the recovery once, with no stack trace per request', async () => {
    const lines = await app.logLinesUntil((all) =>
      all.some((line) => RECOVERY_LINE.test(String(line.msg))),
    );
    const messages = lines.map((line) => String(line.msg));
    expect(messages.filter((msg) => OUTAGE_LINE.test(msg))).toHaveLength(1);
    expect(messages.filter((msg) => RECOVERY_LINE.test(msg))).toHaveLength(1);
    const withStacks = lines.filter((line) => JSON.stringify(line).includes('"stack"'));
    expect(withStacks.map((line) => line.msg)).toEqual([]);
  });
});
