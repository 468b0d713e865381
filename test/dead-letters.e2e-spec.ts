import { produce } from './support/kafka-records';
import { metricValue } from './support/metrics';
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

const admin = adminAuth('ops-carol');

interface DeadLetterBody {
  id: string;
  topic: string;
  key: string;
  error: string;
  attempts: number;
  replayedAt: string | null;
  replayedBy: string | null;
}

describe('dead letters: listed for admins, replayed once the cause is fixed', () => {
  const prefix = newTopicPrefix();
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ KAFKA_TOPIC_PREFIX: prefix, KAFKA_HANDLER_ATTEMPTS: '2' });
    await switchMode(app, 'async');
  });
  afterAll(async () => {
    await app.db.query(`ALTER TABLE IF EXISTS fraud_decisions_away RENAME TO fraud_decisions`);
    await app.close();
  });

  const deadLetters = async (state = 'waiting'): Promise<DeadLetterBody[]> => {
    const answer = await app.http().get(`/admin/dead-letters?state=${state}`).set(admin);
    expect(answer.status).toBe(200);
    return answer.body as DeadLetterBody[];
  };

  const deadLetterOf = (key: string): Promise<DeadLetterBody> =>
    waitFor(
      `a dead letter for ${key}`,
      async () => (await deadLetters()).find((d) => d.key === key),
      { timeoutMs: 20_000 },
    );

  /** Waits until the metric of waiting dead letters reads `count`. */
  const deadLettersWaitingReads = (count: number) =>
    waitFor(`kafka_dead_letters_waiting at ${count}`, async () =>
      (await metricValue(app, 'kafka_dead_letters_waiting')) === count ? true : undefined,
    );

  /** Async orders whose payment cannot be recorded: the fraud check cannot record its decisions. */
  async function ordersWhilePaymentsAreAway(count: number) {
    await app.db.query(`ALTER TABLE fraud_decisions RENAME TO fraud_decisions_away`);
    try {
      const orders = [];
      for (let i = 0; i < count; i++) {
        const shopper = new Shopper(app, newShopper());
        const placed = await shopper.buy(await newProduct(app.db, { stock: 1 }));
        expect(placed.status).toBe(202);
        orders.push({ shopper, orderId: placed.body.id as string });
      }
      const letters = [];
      for (const { orderId } of orders) letters.push(await deadLetterOf(orderId));
      return { orders, letters };
    } finally {
      await app.db.query(`ALTER TABLE fraud_decisions_away RENAME TO fraud_decisions`);
    }
  }

  it('keeps a request that failed past its attempts, with the error, and replays it', async () => {
    const {
      orders: [{ shopper, orderId }],
      letters: [letter],
    } = await ordersWhilePaymentsAreAway(1);
    expect(letter).toMatchObject({
      topic: 'payment.order',
      attempts: 2,
      replayedAt: null,
      error: expect.stringContaining('fraud_decisions'),
    });
    expect((await shopper.order(orderId)).body.status).toBe('PENDING_PAYMENT');
    await deadLettersWaitingReads(1);

    const replayed = await app.http().post(`/admin/dead-letters/${letter.id}/replay`).set(admin);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ id: letter.id, replayedBy: 'ops-carol' });
    expect((await finalOrder(app, shopper.id, orderId)).status).toBe('PAID');
    expect(app.gatewayLedger().charges.get(orderId)).toBe(1);
    expect((await deadLetters()).some((d) => d.id === letter.id)).toBe(false);
    expect((await deadLetters('replayed')).some((d) => d.id === letter.id)).toBe(true);
    await deadLettersWaitingReads(0);

    const again = await app.http().post(`/admin/dead-letters/${letter.id}/replay`).set(admin);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already replayed .* by ops-carol/);
  });

  it('replays all waiting dead letters at once, and leaves what is not a message', async () => {
    const garbage = `not-a-message-${Date.now()}`;
    await produce(`${prefix}payment.order`, [{ key: garbage, value: '{"oops":' }]);
    const unreadable = await deadLetterOf(garbage);
    expect(unreadable).toMatchObject({ attempts: 0, error: expect.stringContaining('not JSON') });
    const one = await app.http().post(`/admin/dead-letters/${unreadable.id}/replay`).set(admin);
    expect(one.status).toBe(422);
    expect(one.body.message).toMatch(/not a message the app can read/);

    const { orders, letters } = await ordersWhilePaymentsAreAway(2);
    const all = await app.http().post('/admin/dead-letters/replay').set(admin);
    expect(all.status).toBe(200);
    expect([...all.body.replayed].sort()).toEqual(letters.map((l) => l.id).sort());
    expect(all.body.unreplayable).toEqual([unreadable.id]);
    for (const { shopper, orderId } of orders) {
      expect((await finalOrder(app, shopper.id, orderId)).status).toBe('PAID');
      expect(app.gatewayLedger().charges.get(orderId)).toBe(1);
    }
  });

  it('answers 404 for a dead letter that does not exist, 400 for a bad query', async () => {
    expect((await app.http().post('/admin/dead-letters/999999999/replay').set(admin)).status).toBe(
      404,
    );
    const bad = await app.http().get('/admin/dead-letters?state=lost').set(admin);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(['state must be one of: waiting, replayed, all']);
  });
});
