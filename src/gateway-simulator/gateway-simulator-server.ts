import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { z } from 'zod';
import { knobsChange } from './gateway-knobs';
import { GatewaySimulation, GatewayUnavailableError, KeyReusedError } from './gateway-simulation';

const BODY_LIMIT_BYTES = 16 * 1024;

const authorizationBody = z.object({
  amountCents: z.number().int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
  paymentToken: z.string().min(1),
});

class BadRequest extends Error {}

/**
 * The simulated gateway as an HTTP service of its own, so that every process of a fleet
 * shares one ledger and one idempotency key is charged once whoever calls. Routes:
 * `POST /authorizations` (Idempotency-Key header), `POST /authorizations/{key}/void`,
 * `GET /authorizations/{key}`, `GET /ledger`, `GET|PATCH /knobs`, `GET /health`.
 */
export class GatewaySimulatorServer {
  private readonly server: Server;

  constructor(private readonly simulation: GatewaySimulation) {
    this.server = createServer((request, response) => void this.route(request, response));
    // Longer than a client's idle socket timeout, so a client never reuses a socket this end is
    // closing (the keep-alive race, where a request is sent into a closed connection).
    this.server.keepAliveTimeout = 65_000;
  }

  /** Listens, and returns the URL it listens on (port 0 takes any free port). */
  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${shown}:${address.port}`;
  }

  /** Stops listening and drops every connection, answers held back as lost included. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { pathname } = new URL(request.url ?? '/', 'http://simulator');
    const method = request.method ?? 'GET';
    try {
      const keyed = /^\/authorizations\/([^/]+)(\/void)?$/.exec(pathname);
      if (method === 'POST' && pathname === '/authorizations') {
        return await this.authorize(request, response);
      }
      if (method === 'POST' && keyed?.[2]) {
        return send(response, 200, this.simulation.void(decodeURIComponent(keyed[1])));
      }
      if (method === 'GET' && keyed && !keyed[2]) {
        const key = decodeURIComponent(keyed[1]);
        const found = await this.simulation.lookUp(key);
        if (!found)
          return send(response, 404, { error: 'unknown_key', message: `No call used ${key}.` });
        return send(response, 200, { key, ...found });
      }
      if (method === 'GET' && pathname === '/ledger') return send(response, 200, this.ledger());
      if (method === 'GET' && pathname === '/knobs') {
        return send(response, 200, this.simulation.currentKnobs());
      }
      if (method === 'PATCH' && pathname === '/knobs') {
        const change = knobsChange.safeParse(await jsonBody(request));
        if (!change.success) throw new BadRequest(z.prettifyError(change.error));
        return send(response, 200, this.simulation.tune(change.data));
      }
      if (method === 'GET' && pathname === '/health') return send(response, 200, { status: 'ok' });
      send(response, 404, { error: 'not_found', message: `No route ${method} ${pathname}.` });
    } catch (error) {
      if (error instanceof BadRequest) {
        return send(response, 400, { error: 'bad_request', message: error.message });
      }
      send(response, 500, { error: 'internal', message: String(error) });
    }
  }

  private async authorize(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw new BadRequest('An Idempotency-Key header of 1 to 255 characters is required.');
    }
    const body = authorizationBody.safeParse(await jsonBody(request));
    if (!body.success) throw new BadRequest(z.prettifyError(body.error));
    try {
      const delivery = await this.simulation.authorize({ idempotencyKey: key, ...body.data });
      // Lost on its way back: the charge stands, the caller waits until it gives up.
      if (delivery.lost) return;
      send(response, 200, delivery.answer);
    } catch (error) {
      if (error instanceof GatewayUnavailableError) {
        // Past its capacity a gateway asks callers to slow down (429); otherwise it is down (503).
        return send(
          response,
          error.reason === 'overloaded' ? 429 : 503,
          { error: error.reason, message: error.message },
          { 'Retry-After': '1' },
        );
      }
      if (error instanceof KeyReusedError) {
        return send(response, 422, { error: 'idempotency_key_reused', message: error.message });
      }
      throw error;
    }
  }

  private ledger() {
    const { charges, ...counts } = this.simulation.ledger();
    let total = 0;
    const keysChargedMoreThanOnce: string[] = [];
    for (const [key, count] of charges) {
      total += count;
      if (count > 1) keysChargedMoreThanOnce.push(key);
    }
    return { ...counts, charges: total, keysChargedMoreThanOnce };
  }
}

async function jsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) throw new BadRequest(`Body over ${BODY_LIMIT_BYTES} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    throw new BadRequest('The body is not JSON.');
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}
