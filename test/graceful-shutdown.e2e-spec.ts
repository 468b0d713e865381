import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AppProcess, freePort } from './support/app-process';
import { E2E_DATABASE_ENV, E2E_KAFKA_ENV } from './support/database-url';
import { GatewaySimulatorProcess } from './support/gateway-simulator';
import { Shopper } from './support/shopper';
import { waitFor } from './support/wait-for';
import {
  ADMIN_TOKEN,
  finalOrder,
  newProduct,
  newShopper,
  newTopicPrefix,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

const secret = 'shared-internal-secret-for-tests';

const processEnv = (extra: Record<string, string>) => ({
  DATABASE_URL: process.env[E2E_DATABASE_ENV]!,
  KAFKA_BROKERS: process.env[E2E_KAFKA_ENV]!,
  KAFKA_PARTITIONS: '3',
  INTERNAL_SECRET: secret,
  ADMIN_TOKEN,
  OUTBOX_POLL_MS: '100',
  LOSS_WINDOW_MS: '3600000',
  ...extra,
});

describe('SIGTERM to a worker under load', () => {
  const prefix = newTopicPrefix();
  let api: TestApp;
  // The gateway as a service, as in production: the drain waits for calls on its sockets.
  let gateway: GatewaySimulatorProcess;
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    gateway = await GatewaySimulatorProcess.start({ GATEWAY_LATENCY_MS: '600' });
    workerEnv = processEnv({
      APP_ROLES: 'worker',
      KAFKA_TOPIC_PREFIX: prefix,
      GATEWAY_URL: gateway.url,
      MAX_IN_FLIGHT: '4',
      SHUTDOWN_GRACE_MS: '15000',
    });
    // The limit is a fleet setting: the API instance's start sets it for the worker too.
    api = await startApp({
      MAX_IN_FLIGHT: '4',
      APP_ROLES: 'api',
      PUBLIC_URL: 'http://127.0.0.1:9',
      INTERNAL_SECRET: secret,
      KAFKA_TOPIC_PREFIX: prefix,
    });
    await switchMode(api, 'async');
  });
  afterAll(async () => {
    await api?.close();
    await gateway?.stop();
  });

  it('finishes what it holds, commits, leaves; restarted, every order ends once', async () => {
    const worker = AppProcess.start(workerEnv, await freePort());
    await worker.ready();
    const orders = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const shopper = new Shopper(api, newShopper());
        const placed = await shopper.buy(await newProduct(api.db, { stock: 1 }));
        expect(placed.status).toBe(202);
        return { shopper, orderId: placed.body.id as string };
      }),
    );
    const ids = orders.map((o) => o.orderId);
    const paid = async () =>
      (
        await api.db.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM payments WHERE order_id = ANY($1)`,
          [ids],
        )
      )[0].n;
    // Payments run four at a time and can end together: SIGTERM lands while some are held.
    const held = async () =>
      (await (await fetch(`${worker.url}/metrics`)).text())
        .split('\n')
        .filter((line) => line.startsWith('backpressure_permits_in_use{'))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    await waitFor(
      '4 payments settled, more under way',
      async () => ((await paid()) >= 4 && (await held()) > 0 ? true : undefined),
      { intervalMs: 20 },
    );

    const stopping = Date.now();
    expect(await worker.stop()).toBe(true);
    expect(Date.now() - stopping).toBeLessThan(15_000);
    const drained = worker.logLines().find((line) => line.msg === 'drained');
    expect(drained).toMatchObject({ handedBack: 0 });
    expect(drained!.finished).toBeGreaterThanOrEqual(1);
    const settledBeforeRestart = await paid();
    expect(settledBeforeRestart).toBeLessThan(ids.length);
    // Every payment the worker recorded had its result published on the way out.
    const [{ unpublished }] = await api.db.query<{ unpublished: number }[]>(
      `SELECT count(*)::int AS unpublished FROM outbox
        WHERE key = ANY($1) AND topic = 'payment.result' AND published_at IS NULL`,
      [ids],
    );
    expect(unpublished).toBe(0);

    const restarted = AppProcess.start(workerEnv, await freePort());
    try {
      await restarted.ready();
      for (const { shopper, orderId } of orders) {
        expect((await finalOrder(api, shopper.id, orderId, 60_000)).status).toBe('PAID');
      }
      // What the first worker settled was committed: nothing of it was handled again.
      const again = restarted
        .logLines()
        .filter((line) => line.msg === 'payment already recorded; publishing its result again');
      expect(again).toEqual([]);
      const rows = await api.db.query<
        { order_id: string; payments: number; calls: number; paid: number }[]
      >(
        `SELECT o.id AS order_id,
                (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id) AS payments,
                (SELECT sum(gateway_calls)::int FROM payments p WHERE p.order_id = o.id) AS calls,
                (SELECT count(*)::int FROM order_timeline t
                  WHERE t.order_id = o.id AND t.type = 'PAID') AS paid
           FROM orders o WHERE o.id = ANY($1)`,
        [ids],
      );
      expect(rows.every((row) => row.payments === 1 && row.paid === 1)).toBe(true);
      // The calls under way when SIGTERM came were answered, not cut and asked again. (The
      // gateway's own count may hold one more: a request delivered twice, as a consumer that
      // restarts in its group may, asks with the same key and records nothing new.)
      expect(rows.filter((row) => row.calls !== 1)).toEqual([]);
    } finally {
      await restarted.stop();
    }
  });
});

describe('SIGTERM to an API instance', () => {
  it('stops accepting, and finishes the checkout under way before it exits', async () => {
    const port = await freePort();
    const app = AppProcess.start(
      processEnv({
        KAFKA_TOPIC_PREFIX: newTopicPrefix(),
        GATEWAY_LATENCY_MS: '1500',
        CHECKOUT_MODE: 'sync',
      }),
      port,
    );
    await app.ready();
    const shopper = `drain-${randomUUID().slice(0, 8)}`;
    const headers = { 'Content-Type': 'application/json', 'X-User-Id': shopper };
    await fetch(`${app.url}/admin/mode`, {
      method: 'PUT',
      headers: { ...headers, Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ mode: 'sync' }),
    });
    const sku = `DRAIN-${randomUUID().slice(0, 8).toUpperCase()}`;
    const db = new Client({ connectionString: process.env[E2E_DATABASE_ENV] });
    await db.connect();
    await db.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, 'Drain mug', 900, 'EUR', 1)`,
      [sku],
    );
    await fetch(`${app.url}/cart/items`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ sku, quantity: 1 }),
    });

    const checkout = fetch(`${app.url}/orders`, {
      method: 'POST',
      headers: { ...headers, 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({ paymentToken: 'tok_visa' }),
    });
    // Its order is written before the gateway is asked, which takes GATEWAY_LATENCY_MS.
    await waitFor('the checkout at the gateway', async () => {
      const { rowCount } = await db.query(`SELECT 1 FROM orders WHERE user_id = $1`, [shopper]);
      return rowCount ? true : undefined;
    }).finally(() => db.end());
    const stopped = app.stop();
    await waitFor(
      'the instance to stop taking connections',
      () =>
        fetch(`${app.url}/health/live`).then(
          () => undefined,
          () => true,
        ),
      { timeoutMs: 1000 },
    );

    const answer = await checkout;
    expect(answer.status).toBe(201);
    expect(((await answer.json()) as { status: string }).status).toBe('PAID');
    expect(await stopped).toBe(true);
    expect(app.logLines().find((line) => line.msg === 'HTTP drained')).toMatchObject({
      finished: 1,
      cut: 0,
    });
  });
});

describe('SIGTERM to an idle worker', () => {
  it('exits with code 0 inside SHUTDOWN_GRACE_MS, and says how long it took', async () => {
    const graceMs = 3000;
    const worker = AppProcess.start(
      processEnv({
        APP_ROLES: 'worker',
        KAFKA_TOPIC_PREFIX: newTopicPrefix(),
        SHUTDOWN_GRACE_MS: String(graceMs),
      }),
      await freePort(),
    );
    await worker.ready();
    await worker.logLinesUntil((lines) => lines.some((l) => l.msg === 'joined consumer group'));

    const stopping = Date.now();
    await worker.stop();
    const tookMs = Date.now() - stopping;
    expect(await worker.exitCode()).toBe(0);
    expect(tookMs).toBeLessThan(graceMs);
    const done = worker.logLines().find((line) => line.msg === 'shut down');
    expect(done).toMatchObject({ graceMs });
    expect(done!.durationMs).toBeLessThan(graceMs);
  });
});
