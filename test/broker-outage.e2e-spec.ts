import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaTransport } from '../src/messaging/kafka/kafka.transport';
import { KafkaBroker } from './support/kafka-broker';
import { metricReaches } from './support/metrics';
import { Shopper } from './support/shopper';
import { waitFor } from './support/wait-for';
import {
  defaultKafkaConfig,
  finalOrder,
  newProduct,
  newShopper,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

const { sessionTimeoutMs, rebalanceTimeoutMs } = defaultKafkaConfig();
/**
 * Once the broker answers: a reconnect (tried every second), then a join, which waits for the
 * members the restarted broker still remembers only as long as the rebalance timeout.
 */
const RESUME_BOUND_MS = rebalanceTimeoutMs + 2000;

/** Runs a broker of its own, so stopping it disturbs no other test (or run). */
describe('async orders while Kafka is down', () => {
  const dir = join(__dirname, '..', '.kafka', `broker-outage-test-${process.pid}`);
  let broker: KafkaBroker;
  let app: TestApp;

  beforeAll(async () => {
    broker = await KafkaBroker.onFreePorts(dir);
    await broker.start();
    // kafkajs logs every failed reconnect while the broker is down: keep the test output short.
    app = await startApp({ KAFKA_BROKERS: broker.brokers, LOG_LEVEL: 'fatal' });
    await switchMode(app, 'async');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const readiness = async () => {
    const answer = await app.http().get('/health/ready');
    const body = answer.body as { details: { kafka: { consumer: string; reason?: string } } };
    return { status: answer.status, kafka: body.details.kafka };
  };

  it('are accepted into the outbox, and paid once each when Kafka is back', async () => {
    await broker.stop();

    const sku = await newProduct(app.db, { stock: 10 });
    const shoppers = [1, 2, 3].map(() => new Shopper(app, newShopper()));
    const placed = [];
    for (const shopper of shoppers) placed.push(await shopper.buy(sku));
    expect(placed.map((answer) => [answer.status, answer.body.status as string])).toEqual([
      [202, 'PENDING_PAYMENT'],
      [202, 'PENDING_PAYMENT'],
      [202, 'PENDING_PAYMENT'],
    ]);
    await metricReaches(app, 'outbox_backlog_messages', 3);

    await broker.start();

    const orders = await Promise.all(
      placed.map((answer, i) => finalOrder(app, shoppers[i].id, answer.body.id as string, 90_000)),
    );
    expect(orders.map((order) => order.status)).toEqual(['PAID', 'PAID', 'PAID']);
    for (const order of orders) expect(app.gatewayLedger().charges.get(order.id)).toBe(1);
    const [{ waiting }] = await app.db.query<{ waiting: number }[]>(
      `SELECT count(*)::int AS waiting FROM outbox WHERE published_at IS NULL`,
    );
    expect(waiting).toBe(0);
  }, 180_000);

  it('says not ready while the broker is away, and consumes within seconds of its return', async () => {
    expect(RESUME_BOUND_MS).toBeLessThanOrEqual(5000);
    const transport = app.app.get(KafkaTransport);
    expect((await readiness()).status).toBe(200);

    await broker.stop();
    const down = await waitFor(
      'readiness failing with the broker away',
      async () => {
        const answer = await readiness();
        return answer.status === 503 ? answer : undefined;
      },
      { timeoutMs: sessionTimeoutMs + 5000 },
    );
    // A broker shutting down may first tell its members to rebalance; the rejoin then fails
    // for want of a broker, within kafkajs' ~3 s of reconnect tries, and the reason says so.
    expect(down.kafka.reason).toMatch(/rebalancing|restarting after a crash|no heartbeat/);
    await waitFor(
      'readiness naming the broker outage',
      async () => {
        const answer = await readiness();
        expect(answer.status).toBe(503);
        return /restarting after a crash|no heartbeat/.test(answer.kafka.reason ?? '') || undefined;
      },
      { timeoutMs: sessionTimeoutMs + 5000 },
    );
    const shopper = new Shopper(app, newShopper());
    const placed = await shopper.buy(await newProduct(app.db, { stock: 1 }));
    expect(placed.status).toBe(202);
    const joinsBefore = transport.consumerState().joins;

    await broker.start();
    const backAt = Date.now();
    // Every answer until the consumer is a member of its group again is 503, with a reason.
    const readyMs = await waitFor(
      'readiness back',
      async () => {
        const answer = await readiness();
        if (answer.status === 503) {
          expect(answer.kafka.reason).toEqual(expect.any(String));
          return undefined;
        }
        expect(transport.consumerState().joins).toBeGreaterThan(joinsBefore);
        return Date.now() - backAt;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    const order = await finalOrder(app, shopper.id, placed.body.id as string, 30_000);
    const paidMs = Date.now() - backAt;
    process.stdout.write(
      `broker back: ready again after ${readyMs} ms, the order taken meanwhile paid after ` +
        `${paidMs} ms (bound ${RESUME_BOUND_MS} ms)\n`,
    );
    expect(order.status).toBe('PAID');
    expect(readyMs).toBeLessThanOrEqual(RESUME_BOUND_MS);
    expect(paidMs).toBeLessThanOrEqual(RESUME_BOUND_MS + 1000);
  }, 60_000);
});
