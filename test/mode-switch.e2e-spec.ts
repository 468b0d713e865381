import { setTimeout as sleep } from 'node:timers/promises';
import { Shopper } from './support/shopper';
import {
  adminAuth,
  ADMIN_TOKEN,
  finalOrder,
  newProduct,
  newShopper,
  newTopicPrefix,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe('switching the checkout mode at runtime', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    // Two instances of one deployment: same database, same Kafka topics.
    const prefix = newTopicPrefix();
    first = await startApp({
      KAFKA_TOPIC_PREFIX: prefix,
      GATEWAY_LATENCY_MS: '800',
      SETTINGS_POLL_MS: '60000',
    });
    second = await startApp({ KAFKA_TOPIC_PREFIX: prefix, SETTINGS_POLL_MS: '60000' });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('moves another instance to async within a second, and its next order goes async', async () => {
    const answer = await first
      .http()
      .put('/admin/mode')
      .set(adminAuth('ops-alice'))
      .send({ mode: 'async', reason: 'flash sale' });
    expect(answer.status).toBe(200);
    const switchedAt = Date.now();

    // Polling is off (SETTINGS_POLL_MS=60000): only the NOTIFY can carry the switch in time.
    let followed = false;
    while (!followed && Date.now() - switchedAt < 1000) {
      followed = (await second.http().get('/admin/mode').set(admin)).body.mode === 'async';
      if (!followed) await sleep(25);
    }
    expect(followed).toBe(true);

    const shopper = new Shopper(second, newShopper());
    const placed = await shopper.buy(await newProduct(second.db, { stock: 1 }));
    expect([placed.status, placed.body.status, placed.body.mode]).toEqual([
      202,
      'PENDING_PAYMENT',
      'async',
    ]);
    expect((await finalOrder(second, shopper.id, placed.body.id as string)).status).toBe('PAID');
  });

  it('audits each switch: who, when, from and to', async () => {
    const view = (await first.http().get('/admin/mode').set(admin)).body;
    expect(view).toMatchObject({ mode: 'async', setBy: 'ops-alice', asyncAvailable: true });
    expect(view.history[0]).toMatchObject({
      from: 'sync',
      to: 'async',
      changedBy: 'ops-alice',
      reason: 'flash sale',
      changedAt: expect.any(String),
    });
  });

  it('finishes an order in the mode it was accepted in, whatever the mode becomes', async () => {
    await switchMode(first, 'async');
    const shopper = new Shopper(first, newShopper());
    const placed = await shopper.buy(await newProduct(first.db, { stock: 2 }));
    expect(placed.status).toBe(202);

    await switchMode(first, 'sync');
    const order = await finalOrder(first, shopper.id, placed.body.id as string);
    expect([order.status, order.mode]).toEqual(['PAID', 'async']);

    const next = await shopper.buy(await newProduct(first.db, { stock: 1 }));
    expect([next.status, next.body.status, next.body.mode]).toEqual([201, 'PAID', 'sync']);
  });

  it('refuses without the admin token, and names a bad mode', async () => {
    const anonymous = await first.http().put('/admin/mode').send({ mode: 'async' });
    expect(anonymous.status).toBe(401);
    const wrong = await first
      .http()
      .get('/admin/mode')
      .set('Authorization', 'Bearer not-the-token');
    expect(wrong.status).toBe(401);
    const bad = await first.http().put('/admin/mode').set(admin).send({ mode: 'turbo' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(['mode must be one of: sync, async, auto']);
  });
});

describe('the mode listener', () => {
  // One connection per instance hears every channel (settings, order updates).
  const listeners = async (app: TestApp) => {
    const [{ count }] = await app.db.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE 'LISTEN %'
          AND application_name = 'peak-checkout notifications'`,
    );
    return count;
  };

  it('holds one connection per instance, and closes it with the instance', async () => {
    const observer = await startApp();
    const before = await listeners(observer);
    const instance = await startApp();
    expect(await listeners(observer)).toBe(before + 1);
    await instance.close();
    expect(await listeners(observer)).toBe(before);
    await observer.close();
  });
});

describe('a deployment without Kafka', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ PGLITE_DATA_DIR: 'memory://' });
  });
  afterAll(() => app.close());

  it('refuses to switch to async with a 409 that says why, and stays in sync', async () => {
    const answer = await app.http().put('/admin/mode').set(admin).send({ mode: 'async' });
    expect(answer.status).toBe(409);
    expect(answer.body.message).toMatch(/Async mode needs Kafka.*KAFKA_BROKERS/);
    const view = (await app.http().get('/admin/mode').set(admin)).body;
    expect(view).toMatchObject({ mode: 'sync', asyncAvailable: false });
  });
});
