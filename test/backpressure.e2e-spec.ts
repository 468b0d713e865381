import { KafkaTransport } from '../src/messaging/kafka/kafka.transport';
import { expectPaidOnce, placeMany } from './support/many-orders';
import { metricValue } from './support/metrics';
import {
  adminAuth,
  ADMIN_TOKEN,
  finalOrder,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const paymentOrder = '{topic="payment.order"}';

describe('backpressure: a limit on authorizations in flight', () => {
  let app: TestApp;

  beforeAll(async () => {
    // One partition: any concurrency above one comes from running different orders of one
    // partition side by side, not from the partition count.
    app = await startApp({
      KAFKA_PARTITIONS: '1',
      MAX_IN_FLIGHT: '3',
      GATEWAY_LATENCY_MS: '300',
      GATEWAY_CAPACITY: '100',
    });
    await switchMode(app, 'async');
  });
  afterAll(() => app.close());

  it('never lets the gateway see more than the limit, and uses all of it', async () => {
    const orders = await placeMany(app, 18);
    await expectPaidOnce(app, orders);
    expect(app.gatewayLedger().peakInFlight).toBe(3);

    expect(await metricValue(app, `backpressure_permit_limit${paymentOrder}`)).toBe(3);
    expect(await metricValue(app, `backpressure_permits_in_use${paymentOrder}`)).toBe(0);
    // Records waited for a permit while the partition was paused, and were resumed.
    expect(
      await metricValue(app, `backpressure_permit_wait_seconds_sum${paymentOrder}`),
    ).toBeGreaterThan(0.2);
    expect(await metricValue(app, `kafka_paused_partitions${paymentOrder}`)).toBe(0);
  });

  it('raises the concurrency the gateway sees when an admin raises the limit at runtime', async () => {
    const raised = await app
      .http()
      .put('/admin/backpressure')
      .set(adminAuth('ops-bob'))
      .send({ maxInFlight: 8, reason: 'gateway quota raised' });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ maxInFlight: 8, setBy: 'ops-bob' });
    expect(raised.body.history[0]).toMatchObject({
      from: '3',
      to: '8',
      changedBy: 'ops-bob',
      reason: 'gateway quota raised',
    });

    const orders = await placeMany(app, 24);
    await expectPaidOnce(app, orders);
    // On a loaded machine orders may arrive slower than they are paid, so all 8 permits need
    // not be held at once; past the old limit and never past the new one is the change.
    const { peakInFlight } = app.gatewayLedger();
    expect(peakInFlight).toBeGreaterThan(3);
    expect(peakInFlight).toBeLessThanOrEqual(8);
    expect(await metricValue(app, `backpressure_permit_limit${paymentOrder}`)).toBe(8);
  });

  it('names a bad limit and changes nothing', async () => {
    const bad = await app.http().put('/admin/backpressure').set(admin).send({ maxInFlight: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(['maxInFlight must be at least 1']);
    const anonymous = await app.http().put('/admin/backpressure').send({ maxInFlight: 5 });
    expect(anonymous.status).toBe(401);
    expect((await app.http().get('/admin/backpressure').set(admin)).body.maxInFlight).toBe(8);
  });
});

describe('a payment longer than the consumer session', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      GATEWAY_LATENCY_MS: '9000',
      GATEWAY_TIMEOUT_MS: '20000',
    });
    await switchMode(app, 'async');
  });
  afterAll(() => app.close());

  it('keeps the consumer in its group: no rebalance, one gateway call', async () => {
    const [{ shopper, orderId }] = await placeMany(app, 1);
    expect((await finalOrder(app, shopper.id, orderId, 30_000)).status).toBe('PAID');
    expect(app.app.get(KafkaTransport).consumerState().joins).toBe(1);
    expect(app.gatewayLedger().calls).toBe(1);
  });
});
