import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { PostgresCluster } from '../drills/postgres-cluster';
import { longestSyncPaymentMs } from '../src/config/app-config';
import { AppProcess, freePort } from './support/app-process';
import { E2E_DATABASE_ENV } from './support/database-url';
import { GatewaySimulatorProcess } from './support/gateway-simulator';
import { Shopper } from './support/shopper';
import { ADMIN_TOKEN, newProduct, newShopper, startApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Slow enough for the test to cut the payment off while the gateway decides it. */
const GATEWAY_LATENCY_MS = 2000;
/** One gateway call of at most 5 s: a sync payment runs at most 15 s (see longestSyncPaymentMs). */
const PAYMENT = { GATEWAY_TIMEOUT_MS: '5000', PAYMENT_MAX_ATTEMPTS: '1' };
const SYNC_LOSS_WINDOW_MS = longestSyncPaymentMs({
  timeoutMs: 5000,
  maxAttempts: 1,
  retryBaseMs: 50,
});
const FINAL = ['PAID', 'PAYMENT_FAILED', 'FRAUD_REJECTED'];

function instanceEnv(databaseUrl: string, gateway: GatewaySimulatorProcess) {
  return {
    DATABASE_URL: databaseUrl,
    DATABASE_CONNECTION_TIMEOUT_MS: '1000',
    GATEWAY_URL: gateway.url,
    ...PAYMENT,
    LOG_LEVEL: 'info',
    SEED_DEMO_CATALOGUE: 'false',
    ADMIN_TOKEN,
    // The 5-minute loss window stays as it is: it must not be what finishes these orders.
  };
}

/** The checkout mode is fleet-wide and stored: an earlier test may have left it async. */
async function syncMode(app: AppProcess): Promise<void> {
  const answer = await fetch(`${app.url}/admin/mode`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ mode: 'sync', reason: 'cut-off payments test' }),
  });
  expect(answer.status).toBe(200);
}

/** A shopper with one unit of a new product in the cart, on `app`. */
async function shopperWithCart(db: Client, app: AppProcess): Promise<string> {
  const userId = `cut-off-${randomUUID().slice(0, 8)}`;
  const sku = `CUT-${randomUUID().slice(0, 8).toUpperCase()}`;
  await db.query(
    `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, 'Cut-off mug', 1200, 'EUR', 5)`,
    [sku],
  );
  const added = await fetch(`${app.url}/cart/items`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-User-Id': userId },
    body: JSON.stringify({ sku, quantity: 1 }),
  });
  expect(added.status).toBe(200);
  return userId;
}

/**
 * Places a sync order on `app` without waiting for its answer, and returns its id once its
 * payment is at the gateway (the order committed, the authorization under way).
 */
async function placeUntilAtGateway(
  db: Client,
  app: AppProcess,
  userId: string,
  gateway: GatewaySimulatorProcess,
): Promise<{ orderId: string; answer: Promise<number> }> {
  const callsBefore = (await gateway.ledger()).calls;
  const answer = fetch(`${app.url}/orders`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-User-Id': userId,
      'Idempotency-Key': randomUUID(),
    },
    body: JSON.stringify({ paymentToken: 'tok_visa' }),
  }).then(
    (response) => response.status,
    () => 0,
  );
  const orderId = await waitFor('the order committed', async () => {
    const [row] = (
      await db.query<{ id: string }>(`SELECT id FROM orders WHERE user_id = $1`, [userId])
    ).rows;
    return row?.id;
  });
  await waitFor(
    'its authorization at the gateway',
    async () => ((await gateway.ledger()).calls > callsBefore ? true : undefined),
    { intervalMs: 20 },
  );
  return { orderId, answer };
}

async function statusOf(db: Client, orderId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ status: string }>(`SELECT status FROM orders WHERE id = $1`, [
    orderId,
  ]);
  return rows[0]?.status;
}

/** Reads the order from the database until it is final; returns its status and when. */
async function finishedAt(db: Client, orderId: string, timeoutMs: number) {
  const status = await waitFor(
    `order ${orderId} final`,
    async () => {
      const now = await statusOf(db, orderId).catch(() => undefined);
      return now && FINAL.includes(now) ? now : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
  return { status, at: Date.now() };
}

/**
 * A sync order's payment runs inside the process that accepted it, after the order commits.
 * Cut off there (the process dies, or the database goes away before the payment is recorded),
 * the order is finished within seconds, not at the 5-minute loss window, and charged once.
 */
describe('sync payments cut off mid-way', () => {
  let gateway: GatewaySimulatorProcess;

  beforeAll(async () => {
    gateway = await GatewaySimulatorProcess.start({
      GATEWAY_LATENCY_MS: String(GATEWAY_LATENCY_MS),
    });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it('finishes the order of an instance killed mid-payment on another, charged once', async () => {
    const databaseUrl = process.env[E2E_DATABASE_ENV]!;
    const env = instanceEnv(databaseUrl, gateway);
    const doomed = AppProcess.start(env, await freePort());
    const survivor = AppProcess.start(env, await freePort());
    const db = new Client({ connectionString: databaseUrl });
    try {
      await Promise.all([db.connect(), doomed.ready(), survivor.ready()]);
      await syncMode(doomed);
      const userId = await shopperWithCart(db, doomed);
      const { orderId, answer } = await placeUntilAtGateway(db, doomed, userId, gateway);
      process.kill(doomed.pid, 'SIGKILL');
      const killedAt = Date.now();
      expect(await answer).toBe(0);
      expect(await statusOf(db, orderId)).toBe('PENDING_PAYMENT');

      const finished = await finishedAt(db, orderId, SYNC_LOSS_WINDOW_MS + 15_000);
      const tookMs = finished.at - killedAt;
      console.log(
        `order of a killed instance finished ${tookMs} ms after the kill ` +
          `(sync loss window ${SYNC_LOSS_WINDOW_MS} ms)`,
      );
      expect(finished.status).toBe('PAID');
      // Its deadline (accepted + the window), and a watchdog round or two.
      expect(tookMs).toBeLessThan(SYNC_LOSS_WINDOW_MS + 3000);
      expect(await gateway.key(orderId)).toMatchObject({ charges: 1, voided: false });
      const redriven = await survivor.logLinesUntil((lines) =>
        lines.some((line) => line.orderId === orderId && /asked for again/.test(String(line.msg))),
      );
      expect(
        redriven.filter(
          (line) => line.orderId === orderId && /asked for again/.test(String(line.msg)),
        ),
      ).toHaveLength(1);
    } finally {
      await Promise.all([survivor.stop(), doomed.stop(1000), db.end()]);
    }
  }, 90_000);

  it('finishes an order whose payment the database outage cut off, soon after it is back', async () => {
    const cluster = await PostgresCluster.create(await freePort());
    let app: AppProcess | null = null;
    try {
      await cluster.start();
      app = AppProcess.start(instanceEnv(cluster.serverUrl, gateway), await freePort());
      await app.ready(60_000);
      await syncMode(app);
      const db = new Client({ connectionString: cluster.serverUrl });
      await db.connect();
      const placing = await shopperWithCart(db, app)
        .then((userId) => placeUntilAtGateway(db, app!, userId, gateway))
        .finally(() => db.end());
      const { orderId, answer } = placing;
      const acceptedAt = Date.now();
      await cluster.stop();
      // The gateway answers meanwhile; recording its answer fails, and the shopper is told to
      // retry (503).
      expect(await answer).toBe(503);
      await sleep(1000);
      await cluster.start();
      const backAt = Date.now();

      const again = new Client({ connectionString: cluster.serverUrl });
      await again.connect();
      try {
        const finished = await finishedAt(again, orderId, 60_000);
        const afterReturnMs = finished.at - backAt;
        console.log(
          `order cut off by the outage finished ${afterReturnMs} ms after the database was ` +
            `back (${finished.at - acceptedAt} ms after it was accepted; its deadline: ` +
            `${SYNC_LOSS_WINDOW_MS} ms)`,
        );
        expect(finished.status).toBe('PAID');
        // Within seconds of the database's return, well before the order's own deadline.
        expect(afterReturnMs).toBeLessThan(5000);
        expect(finished.at - acceptedAt).toBeLessThan(SYNC_LOSS_WINDOW_MS - 2000);
        expect(await gateway.key(orderId)).toMatchObject({ charges: 1, voided: false });
        const { rows } = await again.query<{ payments: number }>(
          `SELECT count(*)::int AS payments FROM payments WHERE order_id = $1`,
          [orderId],
        );
        expect(rows[0].payments).toBe(1);
      } finally {
        await again.end();
      }
    } finally {
      await app?.stop();
      await cluster.destroy();
    }
  }, 180_000);
});

/**
 * The connection can break between PostgreSQL running an order's COMMIT and the app reading its
 * answer: the order stands, and the sync payment that was to run after the commit never starts.
 * The shopper is answered with the order, its payment under way (202), as a repeat of the
 * request would be. Without a note of it, the order waited for its deadline (here an hour).
 */
describe('a sync order whose COMMIT answer was lost', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('is paid soon after, with one payment recorded', async () => {
    const sku = await newProduct(app.db, { stock: 1 });
    const shopper = new Shopper(app, newShopper());
    expect((await shopper.addToCart(sku, 1)).status).toBe(200);

    const query = Client.prototype.query;
    const reserving = new WeakSet<Client>();
    let lost = false;
    // node-postgres, not the app: the connection this order's reservation went on runs its
    // COMMIT, then breaks before the app reads the answer.
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
      const result = (query as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      if (text?.includes('INSERT INTO stock_reservations')) reserving.add(this);
      if (text !== 'COMMIT' || lost || !reserving.has(this)) return result;
      lost = true;
      return result.then(() => {
        (
          this as unknown as { connection: { stream: { destroy(): void } } }
        ).connection.stream.destroy();
        throw new Error('Connection terminated unexpectedly');
      });
    } as typeof query;
    let answer: { status: number; orderStatus: unknown };
    try {
      const placed = await shopper.placeOrder();
      answer = { status: placed.status, orderStatus: placed.body.status };
    } finally {
      Client.prototype.query = query;
    }

    expect(lost).toBe(true);
    expect(answer).toEqual({ status: 202, orderStatus: 'PENDING_PAYMENT' });
    const paid = await waitFor(
      'the order paid',
      async () => {
        const [order] = await app.db.query<{ id: string; status: string }[]>(
          `SELECT id, status FROM orders WHERE user_id = $1`,
          [shopper.id],
        );
        return order?.status === 'PAID' ? order : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const [{ payments }] = await app.db.query<{ payments: number }[]>(
      `SELECT count(*)::int AS payments FROM payments WHERE order_id = $1`,
      [paid.id],
    );
    expect(payments).toBe(1);
  }, 60_000);
});
