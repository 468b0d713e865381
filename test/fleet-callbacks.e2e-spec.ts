import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppProcess, freePort, workerEnvironment } from './support/app-process';
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

  async function payAsync(workerSecret: string): Promise<string> {
    const prefix = newTopicPrefix();
    api = await startApp({
      APP_ROLES: 'api',
      PUBLIC_URL: callee.url,
      INTERNAL_SECRET: FLEET_A,
      KAFKA_TOPIC_PREFIX: prefix,
    });
    worker = AppProcess.start(
      workerEnvironment(prefix, { INTERNAL_SECRET: workerSecret }),
      await freePort(),
    );
    await worker.ready();
    await switchMode(api, 'async');
    return buyAndPay(api);
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
