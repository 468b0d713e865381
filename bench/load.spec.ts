import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { offerLoad } from './load';

/** A stand-in instance that answers every order after `delayMs` and notes what reaches it. */
function instance(delayMs: number): { server: Server; arrivals: string[] } {
  const arrivals: string[] = [];
  const server = createServer((request, response) => {
    arrivals.push(`${request.method} ${request.url}`);
    request.resume();
    if (request.url === '/health/live') return void response.end('{"status":"ok"}');
    setTimeout(() => {
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: `order-${arrivals.length}`, status: 'PENDING' }));
    }, delayMs);
  });
  server.on('connection', () => arrivals.push('connection'));
  return { server, arrivals };
}

describe('an offer of load', () => {
  let server: Server;
  let arrivals: string[];
  let url: string;

  beforeEach(async () => {
    ({ server, arrivals } = instance(30));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('opens its connections before the first shopper is due, and none while shoppers arrive', async () => {
    const shoppers = Array.from({ length: 60 }, (_, n) => `shopper-${n}`);

    const { answers } = await offerLoad({ url, shoppers, perSecond: 600, timeoutMs: 5000 });

    expect(answers.map((answer) => answer.outcome)).toEqual(shoppers.map(() => 'accepted'));
    const firstOrder = arrivals.indexOf('POST /orders');
    const lastConnection = arrivals.lastIndexOf('connection');
    expect(firstOrder).toBeGreaterThan(-1);
    expect(lastConnection).toBeLessThan(firstOrder);
  });
});
