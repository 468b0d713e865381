import { join } from 'node:path';
import { KafkaBroker } from './support/kafka-broker';
import { metricReaches } from './support/metrics';
import { Shopper } from './support/shopper';
import {
  finalOrder,
  newProduct,
  newShopper,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

/** Runs a broker of its own, so stopping it disturbs no other test. */
describe('async orders while Kafka is down', () => {
  const broker = new KafkaBroker(19092, join(__dirname, '..', '.kafka', 'broker-outage-test'));
  let app: TestApp;

  beforeAll(async () => {
    await broker.start();
    // kafkajs logs every failed reconnect while the broker is down: keep the test output short.
    app = await startApp({ KAFKA_BROKERS: broker.brokers, LOG_LEVEL: 'fatal' });
    await switchMode(app, 'async');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await broker.stop();
  });

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
});
