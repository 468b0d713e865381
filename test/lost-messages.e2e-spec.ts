import { setTimeout as sleep } from 'node:timers/promises';
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
const watchdog = { LOSS_WINDOW_MS: '1500', WATCHDOG_INTERVAL_MS: '200' };

interface StuckOrderBody {
  id: string;
  redrives: number;
  needsAttentionAt: string | null;
  verdict: 'late' | 'lost';
  standing: string;
}

/**
 * An API-only instance accepts orders into Kafka; their requests are deleted from the topic
 * before any worker reads them, as a message lost between producer and consumer would be.
 */
async function apiInstance(prefix: string, env: Record<string, string> = {}): Promise<TestApp> {
  const api = await startApp({
    ...secret,
    ...watchdog,
    ...env,
    APP_ROLES: 'api',
    PUBLIC_URL: 'http://127.0.0.1:9',
    KAFKA_TOPIC_PREFIX: prefix,
  });
  await switchMode(api, 'async');
  return api;
}

async function placeAndLose(api: TestApp, prefix: string) {
  const shopper = new Shopper(api, newShopper());
  const placed = await shopper.buy(await newProduct(api.db, { stock: 1 }));
  expect(placed.status).toBe(202);
  const orderId = placed.body.id as string;
  await loseRequests(api, prefix, orderId, 1);
  return { shopper, orderId };
}

/** Waits until the order's `requests` payment requests are on Kafka, then loses them. */
async function loseRequests(api: TestApp, prefix: string, orderId: string, requests: number) {
  await waitFor(
    `${requests} payment requests of ${orderId} published`,
    async () => {
      const [row] = await api.db.query<{ published: number }[]>(
        `SELECT count(published_at)::int AS published FROM outbox
          WHERE key = $1 AND topic = 'payment.order'`,
        [orderId],
      );
      return row.published >= requests ? true : undefined;
    },
    { intervalMs: 50 },
  );
  expect(await loseRecords(`${prefix}payment.order`)).toBeGreaterThanOrEqual(1);
}

function stuckOrder(api: TestApp, orderId: string, until: (o: StuckOrderBody) => boolean) {
  return waitFor(`order ${orderId} stuck as expected`, async () => {
    const list = (await api.http().get('/admin/stuck-orders').set(admin)).body as StuckOrderBody[];
    const found = list.find((o) => o.id === orderId);
    return found && until(found) ? found : undefined;
  });
}

describe('lost-message detection', () => {
  it('detects an order whose request was lost, re-drives it, and it is paid once', async () => {
    const prefix = newTopicPrefix();
    const api = await apiInstance(prefix);
    let worker: TestApp | null = null;
    try {
      const { shopper, orderId } = await placeAndLose(api, prefix);
      const detected = await stuckOrder(api, orderId, (o) => o.redrives >= 1);
      expect(detected.needsAttentionAt).toBeNull();
      expect(
        await metricValue(api, 'checkout_orders_overdue_total{action="redriven"}'),
      ).toBeGreaterThanOrEqual(detected.redrives);
      // Its new request waits on the topic for a worker: late, however long, not lost again.
      // A fixed wait: two loss windows must pass to show that it is not re-driven again.
      await sleep(2 * Number(watchdog.LOSS_WINDOW_MS));
      const waiting = await stuckOrder(api, orderId, () => true);
      expect(waiting).toMatchObject({ redrives: 1, verdict: 'late', standing: 'queued' });

      worker = await startApp({
        ...secret,
        ...watchdog,
        APP_ROLES: 'worker',
        KAFKA_TOPIC_PREFIX: prefix,
      });
      expect((await finalOrder(api, shopper.id, orderId)).status).toBe('PAID');
      expect(worker.gatewayLedger().charges.get(orderId)).toBe(1);
      const [{ payments }] = await api.db.query<{ payments: number }[]>(
        `SELECT count(*)::int AS payments FROM payments WHERE order_id = $1`,
        [orderId],
      );
      expect(payments).toBe(1);
      const list = (await api.http().get('/admin/stuck-orders').set(admin))
        .body as StuckOrderBody[];
      expect(list.some((o) => o.id === orderId)).toBe(false);

      const paid = await api.http().post(`/admin/orders/${orderId}/redrive`).set(admin);
      expect(paid.status).toBe(409);
      expect(paid.body.message).toMatch(/is PAID, not waiting for its payment/);
    } finally {
      await worker?.close();
      await api.close();
    }
  });

  it('flags an order for a human after its re-drives, and an admin re-drives it', async () => {
    const prefix = newTopicPrefix();
    const api = await apiInstance(prefix, { REDRIVE_LIMIT: '1' });
    try {
      const { orderId } = await placeAndLose(api, prefix);
      // Its re-driven request is lost as well.
      await stuckOrder(api, orderId, (o) => o.redrives >= 1);
      await loseRequests(api, prefix, orderId, 2);
      const flagged = await stuckOrder(api, orderId, (o) => o.needsAttentionAt !== null);
      expect(flagged.redrives).toBe(1);
      expect(await metricValue(api, 'checkout_orders_overdue_total{action="flagged"}')).toBe(1);
      // The gauge is set by the watchdog's next sweep (every WATCHDOG_INTERVAL_MS).
      await metricReaches(api, 'checkout_orders_needing_attention', 1, 5000);

      const redriven = await api.http().post(`/admin/orders/${orderId}/redrive`).set(admin);
      expect(redriven.status).toBe(202);
      expect(redriven.body).toMatchObject({ id: orderId, status: 'PENDING_PAYMENT' });
      const [row] = await api.db.query<{ redrives: number; flagged: boolean }[]>(
        `SELECT redrives, needs_attention_at IS NOT NULL AS flagged FROM orders WHERE id = $1`,
        [orderId],
      );
      expect(row).toEqual({ redrives: 2, flagged: false });

      const unknown = await api
        .http()
        .post('/admin/orders/0b5d2a3e-6a43-4f4e-9d8e-9a3d1c7a1f00/redrive')
        .set(admin);
      expect(unknown.status).toBe(404);
    } finally {
      await api.close();
    }
  });
});
