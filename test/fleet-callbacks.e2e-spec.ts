import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  AppProcess,
  freePort,
  TEST_INTERNAL_SECRET,
  workerEnvironment,
} from './support/app-process';
import { EventStream } from './support/event-stream';
import { Shopper } from './support/shopper';
import {
  finalOrder,
  newProduct,
  newShopper,
  newTopicPrefix,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';
import { waitFor } from './support/wait-for';

const FLEET_A = 'fleet-a-internal-secret-0123';
const FLEET_B = 'fleet-b-internal-secret-0123';

interface Call {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server that records every call it gets: the address an API instance publishes. */
async function recorder(): Promise<{ server: Server; url: string; calls: Call[] }> {
  const calls: Call[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      calls.push({ url: request.url ?? '', headers: request.headers, body });
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, calls };
}

/**
 * An API instance whose PUBLIC_URL is a recorder, so every callback a worker makes to the
 * replyTo of its orders shows there, and a worker (its own process, for its log) of the same
 * fleet or of another one.
 */
describe('worker callbacks to the replyTo of an order', () => {
  let callee: Awaited<ReturnType<typeof recorder>>;
  let api: TestApp | undefined;
  let worker: AppProcess | undefined;

  beforeEach(async () => {
    callee = await recorder();
  });

  afterEach(async () => {
    await worker?.stop();
    await api?.close();
    callee.server.close();
  });

  /** The API instance of fleet A, in async mode, on topics of its own (their prefix). */
  async function startAsyncApi(): Promise<string> {
    const prefix = newTopicPrefix();
    api = await startApp({
      APP_ROLES: 'api',
      PUBLIC_URL: callee.url,
      INTERNAL_SECRET: FLEET_A,
      KAFKA_TOPIC_PREFIX: prefix,
    });
    await switchMode(api, 'async');
    return prefix;
  }

  async function startWorker(prefix: string, secret: string): Promise<void> {
    worker = AppProcess.start(
      workerEnvironment(prefix, { INTERNAL_SECRET: secret }),
      await freePort(),
    );
    await worker.ready();
  }

  async function payAsync(workerSecret: string): Promise<string> {
    await startWorker(await startAsyncApi(), workerSecret);
    return buyAndPay(api!);
  }

  async function buyAndPay(app: TestApp): Promise<string> {
    const shopper = new Shopper(app, newShopper());
    const placed = await shopper.buy(await newProduct(app.db, { stock: 1 }));
    expect(placed.status).toBe(202);
    const orderId = placed.body.id as string;
    expect((await finalOrder(app, shopper.id, orderId)).status).toBe('PAID');
    return orderId;
  }

  it('makes no call, and hands no secret, to a replyTo its fleet did not seal', async () => {
    const orderId = await payAsync(FLEET_B);

    const lines = await worker!.logLinesUntil((logged) =>
      logged.some((line) => line.orderId === orderId && /^no callback/.test(String(line.msg))),
    );
    const warning = lines.find(
      (line) => line.orderId === orderId && /^no callback/.test(String(line.msg)),
    );
    expect(warning).toMatchObject({ level: 40, replyTo: expect.stringContaining(callee.url) });
    expect(callee.calls).toEqual([]);
  });

  it('calls back, with the shared secret, a replyTo of its own fleet', async () => {
    const orderId = await payAsync(FLEET_A);

    const call = await waitFor('the callback', () =>
      Promise.resolve(callee.calls.find(({ body }) => body.includes(orderId))),
    );
    expect(call.url).toBe('/internal/order-updates');
    expect(call.headers['x-internal-secret']).toBe(FLEET_A);
  });

  it('calls back once for the updates due together at one instance', async () => {
    const prefix = await startAsyncApi();
    // Accepted while no worker runs, so the worker finds them all at once and settles them
    // in shared transactions, whose notices come due together.
    const shoppers = Array.from({ length: 12 }, () => new Shopper(api!, newShopper()));
    const sku = await newProduct(api!.db, { stock: shoppers.length });
    const orderIds = await Promise.all(
      shoppers.map(async (shopper) => {
        const placed = await shopper.buy(sku);
        expect(placed.status).toBe(202);
        return placed.body.id as string;
      }),
    );
    await startWorker(prefix, FLEET_A);

    const updated = () =>
      callee.calls.flatMap(({ body }) =>
        (JSON.parse(body) as { updates: { orderId: string }[] }).updates.map((u) => u.orderId),
      );
    await waitFor('a callback for every order', () =>
      Promise.resolve(orderIds.every((id) => updated().includes(id)) || undefined),
    );
    expect(updated().sort()).toEqual([...orderIds].sort());
    expect(callee.calls.length).toBeLessThan(orderIds.length);
  });

  it('pushes to its own streams, with no call to itself, when the worker is the instance that accepted the order', async () => {
    api = await startApp({
      APP_ROLES: 'api,worker',
      PUBLIC_URL: callee.url,
      INTERNAL_SECRET: FLEET_A,
      KAFKA_TOPIC_PREFIX: newTopicPrefix(),
    });
    await switchMode(api, 'async');
    const orderId = await buyAndPay(api);
    // The order's result and its notices are settled side by side: the push may come just after.
    const status = await waitFor('the push recorded', async () => {
      const [push] = await api!.db.query<{ status: string }[]>(
        `SELECT status FROM notifications WHERE order_id = $1 AND channel = 'push'
            AND status <> 'PENDING'`,
        [orderId],
      );
      return push?.status;
    });
    expect(status).toBe('SENT');
    expect(callee.calls).toEqual([]);
  });
});

/** What a worker calls on the instance that accepted an order: its streams get the updates. */
describe('the order-updates callback', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  const event = (note: string) => ({ type: 'result', data: { note } });
  const callBack = (body: unknown) =>
    app
      .http()
      .post('/internal/order-updates')
      .set('X-Internal-Secret', TEST_INTERNAL_SECRET)
      .send(body as object);

  it('pushes each update of a call to the streams of its order, and says how many each reached', async () => {
    const shopper = new Shopper(app, newShopper());
    const order = (await shopper.buy(await newProduct(app.db, { stock: 1 }))).body;
    const stream = await EventStream.open(`${app.url}/orders/${order.id}/events`, {
      'X-User-Id': shopper.id,
    });
    try {
      await stream.next('status');
      const batch = await callBack({
        updates: [
          { orderId: randomUUID(), event: event('nobody follows this one') },
          { orderId: order.id, event: event('in a batch') },
        ],
      });
      expect(batch.status).toBe(204);
      expect(batch.headers['x-streams-reached']).toBe('0,1');
      expect((await stream.next('result')).data).toEqual({ note: 'in a batch' });

      // One update alone, as a worker that does not batch them sends it.
      const single = await callBack({ orderId: order.id, event: event('alone') });
      expect(single.status).toBe(204);
      expect(single.headers['x-streams-reached']).toBe('1');
      const results = await waitFor('the second result', () => {
        const pushed = stream.events.filter(({ type }) => type === 'result');
        return Promise.resolve(pushed.length === 2 ? pushed : undefined);
      });
      expect(results.map(({ data }) => data)).toEqual([{ note: 'in a batch' }, { note: 'alone' }]);
    } finally {
      stream.close();
    }
  });

  it.each([
    ['no update', { updates: [] }, /updates must contain at least 1 elements/],
    [
      'more updates than one call carries',
      { updates: Array.from({ length: 101 }, () => ({ orderId: randomUUID(), event: event('') })) },
      /updates must contain no more than 100 elements/,
    ],
    ['an update without its order', { updates: [{ event: event('') }] }, /orderId must be a UUID/],
    ['neither updates nor an order', {}, /orderId must be a UUID/],
  ])('refuses a call with %s', async (_, body, message) => {
    const response = await callBack(body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.message)).toMatch(message);
  });
});
