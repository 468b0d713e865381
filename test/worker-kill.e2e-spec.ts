import { AppProcess, freePort } from './support/app-process';
import { E2E_DATABASE_ENV, E2E_KAFKA_ENV } from './support/database-url';
import { Shopper } from './support/shopper';
import {
  ADMIN_TOKEN,
  defaultKafkaConfig,
  finalOrder,
  newProduct,
  newShopper,
  newTopicPrefix,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

const secret = 'shared-internal-secret-for-tests';
/** The workers run with the default group timings. */
const { sessionTimeoutMs, heartbeatIntervalMs } = defaultKafkaConfig();
/**
 * A killed worker is dropped from its group a session after its last heartbeat; the survivor
 * learns of it at its next heartbeat, joins again, and fetches where the dead one committed.
 */
const FAILOVER_BOUND_MS = sessionTimeoutMs + 2 * heartbeatIntervalMs + 2000;

/** Payments keep going when a worker dies without a word (`kill -9`, a lost host). */
describe('a worker killed with SIGKILL', () => {
  const prefix = newTopicPrefix();
  const workerEnv = {
    DATABASE_URL: process.env[E2E_DATABASE_ENV]!,
    KAFKA_BROKERS: process.env[E2E_KAFKA_ENV]!,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '6',
    APP_ROLES: 'worker',
    INTERNAL_SECRET: secret,
    ADMIN_TOKEN,
    OUTBOX_POLL_MS: '100',
    LOSS_WINDOW_MS: '3600000',
  };
  let api: TestApp;
  const workers: AppProcess[] = [];

  beforeAll(async () => {
    api = await startApp({
      APP_ROLES: 'api',
      PUBLIC_URL: 'http://127.0.0.1:9',
      INTERNAL_SECRET: secret,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '6',
    });
    await switchMode(api, 'async');
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop(5000)));
    await api?.close();
  });

  const startWorker = async () => {
    const worker = AppProcess.start(workerEnv, await freePort());
    workers.push(worker);
    return worker;
  };

  const placeOrders = (count: number) =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const shopper = new Shopper(api, newShopper());
        const placed = await shopper.buy(await newProduct(api.db, { stock: 1 }));
        expect(placed.status).toBe(202);
        return { shopper, orderId: placed.body.id as string };
      }),
    );

  it('has its partitions paying again within a session timeout, and its restart soon ready', async () => {
    expect(FAILOVER_BOUND_MS).toBeLessThanOrEqual(12_000);
    const [doomed, survivor] = [await startWorker(), await startWorker()];
    await Promise.all([doomed.ready(), survivor.ready()]);
    // Both are members with their share of the partitions, and both pay.
    for (const { shopper, orderId } of await placeOrders(6)) {
      expect((await finalOrder(api, shopper.id, orderId)).status).toBe('PAID');
    }

    process.kill(doomed.pid, 'SIGKILL');
    const killedAt = Date.now();
    // Restarted at once, as an orchestrator does: it joins while the dead member still counts.
    const replacement = await startWorker();
    const replacementReady = replacement.ready().then(() => Date.now() - killedAt);
    // Keyed by order id over six partitions: some land on the dead worker's.
    const orders = await placeOrders(12);
    const waits = await Promise.all(
      orders.map(async ({ shopper, orderId }) => {
        const order = await finalOrder(api, shopper.id, orderId, FAILOVER_BOUND_MS + 10_000);
        expect(order.status).toBe('PAID');
        return Date.now() - killedAt;
      }),
    );
    const lastPaidMs = Math.max(...waits);
    const readyMs = await replacementReady;
    process.stdout.write(
      `worker kill: all 12 orders paid ${lastPaidMs} ms after the kill; ` +
        `its replacement ready after ${readyMs} ms (bound ${FAILOVER_BOUND_MS} ms)\n`,
    );
    expect(lastPaidMs).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
    expect(readyMs).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
  }, 90_000);
});
