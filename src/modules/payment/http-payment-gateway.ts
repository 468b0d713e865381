import { OnApplicationShutdown } from '@nestjs/common';
import * as http from 'node:http';
import * as https from 'node:https';
import {
  Authorization,
  AuthorizationRequest,
  GatewayTimeoutError,
  PaymentGateway,
  GatewayOverloadedError,
  TransientGatewayError,
  UnansweredGatewayError,
} from './payment-gateway';

interface Reply {
  status: number;
  body: { status?: unknown; reference?: unknown; reason?: unknown; message?: unknown };
}

/**
 * The payment gateway reached over HTTP (GATEWAY_URL): the simulator's service, or a gateway
 * with its API. Every call has a deadline of GATEWAY_TIMEOUT_MS, connection included, on
 * keep-alive sockets. A call that fails before its request could reach the gateway (refused,
 * unreachable) or is refused for now (503, 429) is a TransientGatewayError: nothing happened.
 * One that fails after (timeout, broken connection, another 5xx) is an UnansweredGatewayError:
 * it may have charged, and only the same key asked again can tell.
 */
export class HttpPaymentGateway extends PaymentGateway implements OnApplicationShutdown {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;

  constructor(
    url: string,
    private readonly timeoutMs: number,
  ) {
    super();
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
    const secure = this.base.protocol === 'https:';
    this.client = secure ? https : http;
    // Idle sockets close well before the simulator's keep-alive timeout (65 s), so a request is
    // never sent into a connection the other end is closing.
    const agentOptions = { keepAlive: true, timeout: 30_000 };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  async authorize(request: AuthorizationRequest): Promise<Authorization> {
    const { idempotencyKey, amountCents, currency, paymentToken } = request;
    const reply = await this.call(
      'authorizations',
      { amountCents, currency, paymentToken },
      { 'Idempotency-Key': idempotencyKey },
    );
    if (reply.status !== 200) throw this.failure(reply, `authorization ${idempotencyKey}`);
    const { status, reference, reason } = reply.body;
    if (status === 'APPROVED' && typeof reference === 'string') return { status, reference };
    if (status === 'DECLINED' && typeof reason === 'string') return { status, reason };
    // Whatever it meant, it may have charged.
    throw new UnansweredGatewayError(
      `gateway answered authorization ${idempotencyKey} with an unreadable body: ${JSON.stringify(reply.body)}`,
    );
  }

  async void(idempotencyKey: string): Promise<void> {
    const reply = await this.call(`authorizations/${encodeURIComponent(idempotencyKey)}/void`, {});
    if (reply.status !== 200) throw this.failure(reply, `void of ${idempotencyKey}`);
  }

  /**
   * After the shutdown's drain (the consumer's, in beforeApplicationShutdown), not at
   * onModuleDestroy, which comes before it: destroying the sockets there cut the authorizations
   * the drain was waiting for, which then had to be asked again.
   */
  onApplicationShutdown(): void {
    this.agent.destroy();
  }

  private failure(reply: Reply, what: string): Error {
    const said = typeof reply.body.message === 'string' ? reply.body.message : '';
    const message = `gateway answered ${reply.status} to the ${what}${said ? `: ${said}` : ''}`;
    // Refused before any work: retry later. Stripe documents the same split.
    if (reply.status === 429) return new GatewayOverloadedError(message);
    if (reply.status === 503) return new TransientGatewayError(message);
    if (reply.status >= 500) return new UnansweredGatewayError(message);
    // A 4xx is a bug in the request (a key reused for another amount…): retrying cannot help.
    return new Error(message);
  }

  private call(path: string, body: object, headers: Record<string, string> = {}): Promise<Reply> {
    const payload = JSON.stringify(body);
    return new Promise<Reply>((resolve, reject) => {
      // Once a socket is connected the request may reach the gateway; an error past that
      // point leaves its outcome unknown.
      let sent = false;
      const request = this.client.request(new URL(path, this.base), {
        method: 'POST',
        agent: this.agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(payload)),
          ...headers,
        },
      });
      const deadline = setTimeout(
        () =>
          request.destroy(
            sent
              ? new GatewayTimeoutError(this.timeoutMs)
              : new TransientGatewayError(`gateway unreachable within ${this.timeoutMs} ms`),
          ),
        this.timeoutMs,
      );
      const fail = (error: Error) => {
        clearTimeout(deadline);
        if (error instanceof TransientGatewayError) return reject(error);
        reject(
          sent
            ? new UnansweredGatewayError(
                `gateway connection lost before its answer: ${error.message}`,
              )
            : new TransientGatewayError(`gateway unreachable: ${error.message}`),
        );
      };
      request.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', () => (sent = true));
        else sent = true;
      });
      request.on('error', fail);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('end', () => {
          clearTimeout(deadline);
          let parsed: Reply['body'] = {};
          try {
            const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (value && typeof value === 'object') parsed = value;
          } catch {
            // not JSON: the status alone speaks
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      });
      request.end(payload);
    });
  }
}
