import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { E2E_DATABASE_ENV } from './support/database-url';
import { EventStream } from './support/event-stream';
import { metricValue } from './support/metrics';
import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const PER_SHOPPER = 3;
const PER_INSTANCE = 5;

describe('order streams are bounded in number and in lifetime', () => {
  let app: TestApp;
  const opened: EventStream[] = [];

  beforeAll(async () => {
    app = await startApp({
      SSE_MAX_STREAMS_PER_SHOPPER: String(PER_SHOPPER),
      SSE_MAX_STREAMS: String(PER_INSTANCE),
      SSE_MAX_LIFETIME_MS: '2000',
      SSE_RETRY_MS: '2500',
    });
  });
  afterEach(async () => {
    opened.splice(0).forEach((stream) => stream.close());
    await waitFor('every stream closed on the server', async () =>
      (await metricValue(app, 'checkout_order_streams_open')) === 0 ? true : undefined,
    );
  });
  afterAll(() => app.close());

  /** A shopper with a placed order, and a way to open streams on it. */
  async function shopperWithOrder() {
    const shopper = new Shopper(app, newShopper());
    const order = await shopper.buy(await newProduct(app.db, { stock: 1 }));
    const follow = async (orderId: string = order.body.id) => {
      const stream = await EventStream.open(`${app.url}/orders/${orderId}/events`, {
        'X-User-Id': shopper.id,
      });
      opened.push(stream);
      return stream;
    };
    return { shopper, follow, orderId: order.body.id as string };
  }

  /** Streams close on the server once it sees the socket go: wait until one is admitted again. */
  async function admittedAgain(follow: () => Promise<EventStream>): Promise<EventStream> {
    return waitFor('a stream admitted again', async () => {
      const stream = await follow();
      return stream.status === 200 ? stream : undefined;
    });
  }

  it('refuses a shopper past their limit with 429 and Retry-After, until one closes', async () => {
    const { follow } = await shopperWithOrder();
    const streams = [];
    for (let i = 0; i < PER_SHOPPER; i++) streams.push(await follow());
    expect(streams.map((stream) => stream.status)).toEqual([200, 200, 200]);

    const refused = await follow();
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('3');
    expect(refused.errorBody).toEqual({
      statusCode: 429,
      error: 'TooManyStreams',
      message: `You have ${PER_SHOPPER} order streams open, the most allowed: close one before opening another.`,
      details: { limit: 'shopper', max: PER_SHOPPER },
    });
    expect(
      await metricValue(app, 'checkout_order_streams_refused_total{limit="shopper"}'),
    ).toBeGreaterThanOrEqual(1);

    streams[0].close();
    expect((await admittedAgain(follow)).status).toBe(200);
  });

  it('refuses any shopper once the instance holds its most streams', async () => {
    const first = await shopperWithOrder();
    const second = await shopperWithOrder();
    for (let i = 0; i < PER_SHOPPER; i++) expect((await first.follow()).status).toBe(200);
    for (let i = 0; i < PER_INSTANCE - PER_SHOPPER; i++) {
      expect((await second.follow()).status).toBe(200);
    }

    const third = await shopperWithOrder();
    const refused = await third.follow();
    expect(refused.status).toBe(429);
    expect(refused.errorBody).toMatchObject({ details: { limit: 'instance', max: PER_INSTANCE } });
  });

  it('does not count a refused stream (an order not theirs) against the shopper', async () => {
    const { follow } = await shopperWithOrder();
    for (let i = 0; i < PER_SHOPPER + 2; i++) {
      expect((await follow(randomUUID())).status).toBe(404);
    }
    for (let i = 0; i < PER_SHOPPER; i++) expect((await follow()).status).toBe(200);
  });

  it('frees the place of a client gone while its order was being read', async () => {
    const { shopper, follow, orderId } = await shopperWithOrder();
    const url = `${app.url}/orders/${orderId}/events`;
    // Reading the order waits behind this lock, as it would behind a slow database.
    const blocker = new Client({ connectionString: process.env[E2E_DATABASE_ENV] });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const leaving = new AbortController();
      const gone = Array.from({ length: PER_SHOPPER + 1 }, () =>
        fetch(url, { headers: { 'X-User-Id': shopper.id }, signal: leaving.signal }).catch(
          () => undefined,
        ),
      );
      // The streams admitted follow the order (counted open) before they read it.
      await waitFor('the streams admitted reading the order', async () =>
        (await metricValue(app, 'checkout_order_streams_open')) === PER_SHOPPER ? true : undefined,
      );
      leaving.abort();
      await Promise.all(gone);
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
    }
    await waitFor('every stream closed on the server', async () =>
      (await metricValue(app, 'checkout_order_streams_open')) === 0 ? true : undefined,
    );
    for (let i = 0; i < PER_SHOPPER; i++) expect((await follow()).status).toBe(200);
  });

  it('advises a reconnection delay and ends each stream after its lifetime', async () => {
    const { follow } = await shopperWithOrder();
    const stream = await follow();
    await stream.next('status');
    expect(stream.retryMs).toBe(2500);

    await waitFor('the server ended the stream', () =>
      Promise.resolve(stream.endedByServer || undefined),
    );
    // Its place is free again: a shopper at the limit reconnects.
    for (let i = 0; i < PER_SHOPPER; i++) expect((await follow()).status).toBe(200);
    expect(await metricValue(app, 'checkout_order_streams_open')).toBe(PER_SHOPPER);
  });
});
