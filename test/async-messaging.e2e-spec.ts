import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/app-config';
import { MessageRetention } from '../src/messaging/message-retention';
import { EventStream } from './support/event-stream';
import { produce, readTopic } from './support/kafka-records';
import { AppProcess, freePort, workerEnvironment } from './support/app-process';
import { metricReaches, metricValue, seriesValue } from './support/metrics';
import { Shopper } from './support/shopper';
import { waitFor } from './support/wait-for';
import {
  finalOrder,
  newProduct,
  newShopper,
  newTopicPrefix,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

const consumedOk = (topic: string) => `kafka_messages_consumed_total{topic="${topic}",result="ok"}`;
const deadLettered = (topic: string) =>
  `kafka_messages_consumed_total{topic="${topic}",result="dead_lettered"}`;

describe('async mode over Kafka', () => {
  const prefix = newTopicPrefix();
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ KAFKA_TOPIC_PREFIX: prefix, MESSAGE_RETENTION_MS: '1000' });
    await switchMode(app, 'async');
  });
  afterAll(() => app.close());

  async function paidAsyncOrder(): Promise<{ shopper: Shopper; orderId: string }> {
    const shopper = new Shopper(app, newShopper());
    const placed = await shopper.buy(await newProduct(app.db, { stock: 5 }));
    expect(placed.status).toBe(202);
    const order = await finalOrder(app, shopper.id, placed.body.id as string);
    expect(order.status).toBe('PAID');
    return { shopper, orderId: order.id };
  }

  const outboxOf = async (orderId: string, topic: string) =>
    (
      await app.db.query<{ envelope: Record<string, unknown> }[]>(
        `SELECT envelope FROM outbox WHERE key = $1 AND topic = $2 ORDER BY id`,
        [orderId, topic],
      )
    ).map((row) => row.envelope);

  it('answers 202 with the order as written, as reading it back shows it', async () => {
    const shopper = new Shopper(app, newShopper());
    const placed = await shopper.buy(await newProduct(app.db, { stock: 5 }));
    expect(placed.status).toBe(202);
    expect(placed.body).toMatchObject({ status: 'PENDING_PAYMENT', mode: 'async', payment: null });
    const read = await finalOrder(app, shopper.id, placed.body.id as string);
    // What payment changes since (status, payment, updatedAt) aside, the answer was the order.
    const unchanged = ['id', 'mode', 'amountCents', 'currency', 'lines', 'createdAt', 'links'];
    for (const field of unchanged) expect(placed.body[field]).toEqual(read[field]);
    expect(placed.body.createdAt).toEqual(expect.any(String));
  });

  it('leaves no payment request behind for an order refused for stock', async () => {
    const sku = await newProduct(app.db, { stock: 2 });
    const shopper = new Shopper(app, newShopper());
    await shopper.addToCart(sku, 2);
    await app.db.query(`UPDATE products SET stock = 1 WHERE sku = $1`, [sku]);

    expect((await shopper.placeOrder()).status).toBe(409);

    const [{ requests }] = await app.db.query<{ requests: number }[]>(
      `SELECT count(*)::int AS requests FROM outbox
        WHERE topic = 'payment.order' AND envelope -> 'body' ->> 'userId' = $1`,
      [shopper.id],
    );
    expect(requests).toBe(0);
    expect(await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [shopper.id])).toEqual(
      [],
    );
  });

  it('has the effects of a message once when it is delivered again and again', async () => {
    const { shopper, orderId } = await paidAsyncOrder();
    const [request] = await outboxOf(orderId, 'payment.order');
    const [result] = await outboxOf(orderId, 'payment.result');
    const requestsBefore = await metricValue(app, consumedOk('payment.order'));
    const resultsBefore = await metricValue(app, consumedOk('payment.result'));

    const again = { key: orderId, value: JSON.stringify(request) };
    const redriven = { key: orderId, value: JSON.stringify({ ...request, id: randomUUID() }) };
    await produce(`${prefix}payment.order`, [again, again, redriven]);
    await produce(`${prefix}payment.result`, [{ key: orderId, value: JSON.stringify(result) }]);
    await metricReaches(app, consumedOk('payment.order'), requestsBefore + 3);
    // Each payment.order copy re-publishes the recorded result, under the payment's own id.
    await metricReaches(app, consumedOk('payment.result'), resultsBefore + 4);

    const payments = await app.db.query(`SELECT id FROM payments WHERE order_id = $1`, [orderId]);
    expect(payments).toHaveLength(1);
    expect(app.gatewayLedger().charges.get(orderId)).toBe(1);
    const sent = await app.db.query(`SELECT channel FROM notifications WHERE order_id = $1`, [
      orderId,
    ]);
    expect(sent).toHaveLength(3);
    const timeline = (await shopper.timeline(orderId)).body as { type: string }[];
    expect(timeline.map((entry) => entry.type)).toEqual(['PLACED', 'PAID']);
  });

  it('dead-letters a record no retry can process, and goes on with the next', async () => {
    const before = await metricValue(app, deadLettered('payment.order'));
    const brokenBody = {
      id: randomUUID(),
      type: 'payment.order',
      version: 1,
      occurredAt: new Date().toISOString(),
      traceId: 'trace-broken-body',
      key: 'k',
      body: { orderId: 'not-a-uuid' },
    };
    await produce(`${prefix}payment.order`, [
      { key: 'garbage', value: 'this is not JSON' },
      { key: 'k', value: JSON.stringify(brokenBody) },
    ]);
    await metricReaches(app, deadLettered('payment.order'), before + 2);

    const letters = await readTopic(`${prefix}payment.order.dlq`, 2);
    const byKey = new Map(letters.map((letter) => [letter.key, letter]));
    expect(byKey.get('garbage')?.headers).toMatchObject({
      error: expect.stringMatching(/not JSON/),
      attempts: '0',
    });
    expect(byKey.get('garbage')?.value).toBe('this is not JSON');
    expect(byKey.get('k')?.headers).toMatchObject({
      error: expect.stringMatching(/body\.orderId/),
      attempts: '1',
    });
    await paidAsyncOrder();
  });

  it('counts what it produces and consumes, and reports the mode, backlog and lag', async () => {
    await paidAsyncOrder();
    const text = (await app.http().get('/metrics')).text;
    expect(text).toMatch(/kafka_messages_produced_total\{topic="payment.order"\} [1-9]/);
    expect(text).toMatch(/kafka_messages_produced_total\{topic="payment.result"\} [1-9]/);
    expect(text).toMatch(/checkout_mode\{mode="async"\} 1/);
    expect(text).toMatch(/checkout_mode\{mode="sync"\} 0/);
    expect(text).toMatch(/outbox_backlog_messages \d+/);
    expect(text).toMatch(/checkout_accept_seconds_count\{mode="async",status="202"\} [1-9]/);
    await metricReaches(app, 'kafka_consumer_lag_messages{topic="payment.order",partition="0"}', 0);
  });

  it('prunes published outbox rows and de-duplication records past their retention', async () => {
    const { orderId } = await paidAsyncOrder();
    expect(await outboxOf(orderId, 'payment.order')).toHaveLength(1);
    // A fixed wait: the rows must grow older than MESSAGE_RETENTION_MS (1 s).
    await sleep(1100);

    const pruned = await app.app.get(MessageRetention).prune();

    expect(pruned.outbox).toBeGreaterThanOrEqual(2);
    expect(pruned.processed).toBeGreaterThanOrEqual(2);
    expect(await outboxOf(orderId, 'payment.order')).toHaveLength(0);
    const [{ left }] = await app.db.query<{ left: number }[]>(
      `SELECT count(*)::int AS left FROM processed_messages WHERE processed_at < now() - interval '1 second'`,
    );
    expect(left).toBe(0);
  });
});

describe('a result whose callback fails', () => {
  let app: TestApp;
  let worker: AppProcess;

  beforeAll(async () => {
    const prefix = newTopicPrefix();
    // Nothing listens on port 9 of loopback: every callback to this API instance fails.
    app = await startApp({
      APP_ROLES: 'api',
      PUBLIC_URL: 'http://127.0.0.1:9',
      KAFKA_TOPIC_PREFIX: prefix,
    });
    worker = AppProcess.start(workerEnvironment(prefix), await freePort());
    await worker.ready();
    await switchMode(app, 'async');
  });
  afterAll(async () => {
    await worker.stop();
    await app.close();
  });

  it('still reaches the shopper from the database, and is counted', async () => {
    const shopper = new Shopper(app, newShopper());
    const placed = await shopper.buy(await newProduct(app.db, { stock: 1 }));
    const order = await finalOrder(app, shopper.id, placed.body.id as string);
    expect(order.status).toBe('PAID');

    await waitFor('the failed callback counted', async () => {
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      return (seriesValue(metrics, 'checkout_callback_failures_total') ?? 0) >= 1 || undefined;
    });
    // Counted as the send fails; recorded as failed just after.
    const push = await waitFor('the failed push recorded', async () => {
      const [row] = await app.db.query<{ status: string; error: string }[]>(
        `SELECT status, error FROM notifications
          WHERE order_id = $1 AND channel = 'push' AND status <> 'PENDING'`,
        [order.id],
      );
      return row;
    });
    expect(push.status).toBe('FAILED');
    const stream = await EventStream.open(`${app.url}/orders/${order.id}/events`, {
      'X-User-Id': shopper.id,
    });
    try {
      expect((await stream.next('status')).data).toMatchObject({ status: 'PAID' });
    } finally {
      stream.close();
    }
  });
});

describe('the async configuration', () => {
  it('reads the Kafka settings with production defaults', () => {
    const fleet = { PUBLIC_URL: 'http://api-1:3000', INTERNAL_SECRET: 'x'.repeat(16) };
    const config = loadConfig({ KAFKA_BROKERS: 'a:9092,b:9092', ...fleet });
    expect(config.kafka).toMatchObject({
      brokers: ['a:9092', 'b:9092'],
      partitions: 12,
      topicPrefix: '',
      maxBytesPerPartition: 65_536,
    });
    expect(
      loadConfig({ KAFKA_BROKERS: 'a:9092', KAFKA_MAX_BYTES_PER_PARTITION: '1048576', ...fleet })
        .kafka?.maxBytesPerPartition,
    ).toBe(1_048_576);
    expect(loadConfig({}).kafka).toBeNull();
  });
});
