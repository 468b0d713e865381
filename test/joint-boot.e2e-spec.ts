import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { AppProcess, freePort } from './support/app-process';
import { serverUrl } from './support/database-url';
import { dropDatabases, freshDatabase } from './support/fresh-database';
import { KafkaBroker } from './support/kafka-broker';
import { ADMIN_TOKEN, newTopicPrefix } from './support/test-app';

const ROUNDS = 3;

/**
 * An API instance and a worker started at the same moment, as a deployment starts them, on a
 * broker that has just come up and a database that has nothing yet: topics, schema and
 * catalogue are created by both at once.
 */
describe('an API instance and a worker booting together on a new broker and database', () => {
  let broker: KafkaBroker;
  let dir: string;
  const databases: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peak-checkout-kafka-'));
    broker = await KafkaBroker.onFreePorts(dir);
    await broker.start();
  }, 120_000);

  afterAll(async () => {
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
    await dropDatabases(serverUrl(), databases);
  });

  it('runs on a Kafka 4 broker', async () => {
    expect(await broker.log()).toMatch(/Kafka version: 4\.\d+\.\d+/);
  });

  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(
    'both become ready and an async order is paid (boot %i)',
    async (round) => {
      const database = `peak_checkout_joint_boot_${process.pid}_${round}`;
      databases.push(database);
      const shared = {
        DATABASE_URL: await freshDatabase(serverUrl(), database),
        KAFKA_BROKERS: broker.brokers,
        KAFKA_TOPIC_PREFIX: newTopicPrefix(),
        KAFKA_PARTITIONS: '3',
        INTERNAL_SECRET: 'shared-internal-secret-for-tests',
        ADMIN_TOKEN,
        GATEWAY_LATENCY_MS: '5',
        OUTBOX_POLL_MS: '100',
      };
      const [apiPort, workerPort] = [await freePort(), await freePort()];
      const api = AppProcess.start(
        { ...shared, APP_ROLES: 'api', PUBLIC_URL: `http://127.0.0.1:${apiPort}` },
        apiPort,
      );
      const worker = AppProcess.start({ ...shared, APP_ROLES: 'worker' }, workerPort);
      try {
        await Promise.all([api.ready(), worker.ready()]);
        const { status } = await payAsyncOrder(api, shared.DATABASE_URL);
        expect(status).toBe('PAID');
        // Both built their idempotent producer (the API for the order, the worker for its
        // result) without kafkajs warning that its retries were limited.
        for (const instance of [api, worker]) {
          expect(instance.output.filter((line) => /limiting retries/i.test(line))).toEqual([]);
        }
      } finally {
        const stopped = await Promise.all([api.stop(), worker.stop()]);
        expect(stopped).toEqual([true, true]);
      }
    },
    60_000,
  );
});

async function payAsyncOrder(api: AppProcess, databaseUrl: string): Promise<{ status: string }> {
  const sku = `JOINT-${randomUUID().slice(0, 8).toUpperCase()}`;
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(
    `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, 'Joint mug', 900, 'EUR', 1)`,
    [sku],
  );
  await db.end();
  const shopper = `joint-${randomUUID().slice(0, 8)}`;
  const call = async (path: string, init: RequestInit = {}) => {
    const answer = await fetch(`${api.url}${path}`, {
      ...init,
      headers: { 'Content-Type': 'application/json', 'X-User-Id': shopper, ...init.headers },
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  };
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
  expect(placed.status).toBe(202);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const order = await call(`/orders/${placed.body.id as string}`);
    if (order.body.status !== 'PENDING_PAYMENT' || Date.now() > deadline) {
      return order.body as { status: string };
    }
    await sleep(100);
  }
}
