import { freePort } from './support/app-process';
import { loseRecords } from './support/kafka-records';
import { metricReaches, metricValue } from './support/metrics';
import { Shopper } from './support/shopper';
import { waitFor } from './support/wait-for';
import {
  adminAuth,
  finalOrder,
  newProduct,
  newShopper,
  newTopicPrefix,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

const admin = adminAuth('ops-dave');
const secret = { INTERNAL_SECRET: 'shared-internal-secret-for-tests' };

interface StuckOrderBody {
  id: string;
  verdict: 'late' | 'lost';
  standing: string;
  redrives: number;
  needsAttentionAt: string | null;
  message: {
    topic: string;
    partition: number;
    offset: number;
    committedOffset: number | null;
    ahead: number | null;
  } | null;
}

/**
 * One worker that pays one order at a time, slowly, from a topic of one partition: orders
 * queue behind each other, far past a loss window of one second. Records that wait their turn
 * are late, not lost.
 */
function slowWorker(prefix: string, env: Record<string, string> = {}): Promise<TestApp> {
  return startApp({
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '1',
    MAX_IN_FLIGHT: '1',
    GATEWAY_LATENCY_MS: '1500',
    LOSS_WINDOW_MS: '1000',
    WATCHDOG_INTERVAL_MS: '200',
    ...env,
  });
}

async function placeAsync(app: TestApp): Promise<{ shopper: Shopper; orderId: string }> {
  const shopper = new Shopper(app, newShopper());
  const placed = await shopper.buy(await newProduct(app.db, { stock: 1 }));
  expect(placed.status).toBe(202);
  return { shopper, orderId: placed.body.id as string };
}

async function stuckOrders(app: TestApp): Promise<StuckOrderBody[]> {
  const answer = await app.http().get('/admin/stuck-orders').set(admin);
  expect(answer.status).toBe(200);
  return answer.body as StuckOrderBody[];
}

function stuckOrder(app: TestApp, orderId: string, until: (o: StuckOrderBody) => boolean) {
  return waitFor(
    `order ${orderId} stuck as expected`,
    async () => {
      const found = (await stuckOrders(app)).find((o) => o.id === orderId);
      return found && until(found) ? found : undefined;
    },
    { intervalMs: 50 },
  );
}

async function requestsOf(app: TestApp, orderId: string): Promise<number> {
  const [{ count }] = await app.db.query<{ count: number }[]>(
    `SELECT count(*)::int AS count FROM outbox WHERE key = $1 AND topic = 'payment.order'`,
    [orderId],
  );
  return count;
}

async function paymentsOf(app: TestApp, orderId: string): Promise<number> {
  const [{ count }] = await app.db.query<{ count: number }[]>(
    `SELECT count(*)::int AS count FROM payments WHERE order_id = $1`,
    [orderId],
  );
  return count;
}

async function redrivesOf(app: TestApp, orderId: string): Promise<number> {
  const [{ redrives }] = await app.db.query<{ redrives: number }[]>(
    `SELECT redrives FROM orders WHERE id = $1`,
    [orderId],
  );
  return redrives;
}

/** Waits until every payment request of the order is on Kafka. */
function published(app: TestApp, orderId: string, requests = 1) {
  return waitFor(
    `${requests} payment requests of ${orderId} published`,
    async () => {
      const [row] = await app.db.query<{ published: number }[]>(
        `SELECT count(published_at)::int AS published FROM outbox
          WHERE key = $1 AND topic = 'payment.order'`,
        [orderId],
      );
      return row.published >= requests ? true : undefined;
    },
    { intervalMs: 50 },
  );
}

/**
 * The watchdog tells a lost payment request from a late one by where it stands in Kafka, not by
 * the clock alone: late ones (queued behind others) are left to come and reported with the
 * records ahead of them; lost ones (passed by the workers with no result, or never published)
 * are re-driven, and paid once.
 */
describe('lost or late', () => {
  it('leaves orders queued behind slow payments alone, reports them late, and pays each once', async () => {
    const prefix = newTopicPrefix();
    const app = await slowWorker(prefix);
    try {
      await switchMode(app, 'async');
      // The workers' group has committed offsets to compare with.
      const warmUp = await placeAsync(app);
      expect((await finalOrder(app, warmUp.shopper.id, warmUp.orderId)).status).toBe('PAID');
      const orders = [];
      for (let i = 0; i < 4; i++) orders.push(await placeAsync(app));
      const last = orders[orders.length - 1];

      // Past its one-second window, the last order waits behind the others' payments.
      const late = await stuckOrder(app, last.orderId, (o) => o.verdict === 'late');
      console.log(`late order as reported: ${JSON.stringify(late)}`);
      expect(late).toMatchObject({ standing: 'queued', redrives: 0, needsAttentionAt: null });
      expect(late.message).toMatchObject({ topic: `${prefix}payment.order`, partition: 0 });
      expect(late.message!.ahead).toBeGreaterThanOrEqual(1);
      expect(late.message!.committedOffset).toBeGreaterThanOrEqual(1);
      expect(late.message!.offset - late.message!.committedOffset!).toBe(late.message!.ahead);
      await metricReaches(app, 'checkout_orders_late', 1);
      await metricReaches(app, 'checkout_orders_late_messages_ahead', 1);

      for (const { shopper, orderId } of orders) {
        expect((await finalOrder(app, shopper.id, orderId)).status).toBe('PAID');
        expect(await redrivesOf(app, orderId)).toBe(0);
        expect(await requestsOf(app, orderId)).toBe(1);
        expect(await paymentsOf(app, orderId)).toBe(1);
        expect(app.gatewayLedger().charges.get(orderId)).toBe(1);
      }
    } finally {
      await app.close();
    }
  }, 60_000);

  it('re-drives an order whose request the workers passed with no result; it is paid once', async () => {
    const prefix = newTopicPrefix();
    const watched = {
      KAFKA_TOPIC_PREFIX: prefix,
      LOSS_WINDOW_MS: '4000',
      WATCHDOG_INTERVAL_MS: '200',
    };
    const workerEnv = { ...watched, ...secret, APP_ROLES: 'worker' };
    const api = await startApp({
      ...watched,
      ...secret,
      APP_ROLES: 'api',
      PUBLIC_URL: 'http://127.0.0.1:9',
    });
    let worker: TestApp | null = await startApp(workerEnv);
    try {
      await switchMode(api, 'async');
      const first = await placeAsync(api);
      expect((await finalOrder(api, first.shopper.id, first.orderId)).status).toBe('PAID');
      // The workers' group committed past the first; with none running, the next request is
      // lost from the topic before any worker reads it.
      await worker.close();
      worker = null;
      const lost = await placeAsync(api);
      await published(api, lost.orderId);
      expect(await loseRecords(`${prefix}payment.order`)).toBe(2);
      const behind = await placeAsync(api);
      await published(api, behind.orderId);
      // Back, the group finds the log starting past the lost request, and reads on from there.
      worker = await startApp(workerEnv);

      await waitFor(
        `order ${lost.orderId} re-driven`,
        async () => ((await redrivesOf(api, lost.orderId)) >= 1 ? true : undefined),
        { intervalMs: 50 },
      );

      for (const { shopper, orderId } of [first, lost, behind]) {
        expect((await finalOrder(api, shopper.id, orderId)).status).toBe('PAID');
        expect(await paymentsOf(api, orderId)).toBe(1);
      }
      expect(worker.gatewayLedger().charges.get(lost.orderId)).toBe(1);
      expect(await redrivesOf(api, lost.orderId)).toBe(1);
      expect(await requestsOf(api, lost.orderId)).toBe(2);
      expect(await redrivesOf(api, first.orderId)).toBe(0);
      expect(await redrivesOf(api, behind.orderId)).toBe(0);
    } finally {
      await worker?.close();
      await api.close();
    }
  }, 90_000);

  it('re-drives an order whose request never reached Kafka, and flags it when that stays so', async () => {
    const api = await startApp({
      APP_ROLES: 'api',
      PUBLIC_URL: 'http://127.0.0.1:9',
      ...secret,
      KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
      LOSS_WINDOW_MS: '1000',
      WATCHDOG_INTERVAL_MS: '200',
      REDRIVE_LIMIT: '1',
    });
    try {
      await switchMode(api, 'async');
      const { orderId } = await placeAsync(api);
      const flagged = await stuckOrder(api, orderId, (o) => o.needsAttentionAt !== null);
      expect(flagged).toMatchObject({
        verdict: 'lost',
        standing: 'unpublished',
        redrives: 1,
        message: null,
      });
      expect(await requestsOf(api, orderId)).toBe(2);
      expect(
        await metricValue(api, 'checkout_orders_lost_total{standing="unpublished"}'),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await api.close();
    }
  }, 60_000);
});
