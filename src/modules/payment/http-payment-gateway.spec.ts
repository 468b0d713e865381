import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GatewayKnobs } from '../../gateway-simulator/gateway-knobs';
import { GatewaySimulation } from '../../gateway-simulator/gateway-simulation';
import { GatewaySimulatorServer } from '../../gateway-simulator/gateway-simulator-server';
import { HttpPaymentGateway } from './http-payment-gateway';
import {
  GatewayOverloadedError,
  GatewayTimeoutError,
  TransientGatewayError,
  UnansweredGatewayError,
} from './payment-gateway';

const KNOBS: GatewayKnobs = {
  latencyMs: 5,
  capacity: 50,
  transientFailureRate: 0,
  declineAboveCents: 1_000_000,
  lostResponseRate: 0,
};

const request = (key: string, paymentToken = 'tok_visa', amountCents = 1000) => ({
  idempotencyKey: key,
  amountCents,
  currency: 'EUR',
  paymentToken,
});

/** A server that reads each request and then breaks the connection without a word. */
async function hangingUp(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req) => req.resume().on('end', () => req.socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the HTTP payment gateway, against the simulator service', () => {
  let simulation: GatewaySimulation;
  let server: GatewaySimulatorServer;
  let gateway: HttpPaymentGateway;

  beforeEach(async () => {
    simulation = new GatewaySimulation(KNOBS);
    server = new GatewaySimulatorServer(simulation);
    gateway = new HttpPaymentGateway(await server.listen(0, '127.0.0.1'), 200);
  });
  afterEach(async () => {
    gateway.onApplicationShutdown();
    await server.close();
  });

  it('approves, and gets the first answer again for a repeated key', async () => {
    const first = await gateway.authorize(request('order-1'));
    expect(first.status).toBe('APPROVED');
    expect(await gateway.authorize(request('order-1'))).toEqual(first);
    expect(simulation.ledger().charges.get('order-1')).toBe(1);
  });

  it('times out on a lost answer, and learns it by asking again with the key', async () => {
    const startedAt = Date.now();
    await expect(gateway.authorize(request('order-2', 'tok_lost_response'))).rejects.toThrow(
      GatewayTimeoutError,
    );
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect((await gateway.authorize(request('order-2', 'tok_lost_response'))).status).toBe(
      'APPROVED',
    );
    expect(simulation.ledger().charges.get('order-2')).toBe(1);
  });

  it('voids a key of an order attempt past the first (a key with a slash)', async () => {
    await gateway.authorize(request('order-3/2'));
    await gateway.void('order-3/2');
    expect(simulation.ledger().charges.has('order-3/2')).toBe(false);
  });

  it('takes a 503 as transient, with nothing charged', async () => {
    const error = await gateway
      .authorize(request('order-4', 'tok_unavailable'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientGatewayError);
    expect(error).not.toBeInstanceOf(UnansweredGatewayError);
    expect((error as Error).message).toBe(
      'gateway answered 503 to the authorization order-4: gateway unavailable',
    );
  });

  it('takes a 429 as an overloaded gateway: transient, nothing charged', async () => {
    simulation.tune({ capacity: 1, latencyMs: 10 });
    const answers = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => gateway.authorize(request(`order-rush-${i}`))),
    );
    const refused = answers.filter((answer) => answer.status === 'rejected');
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const answer of refused) {
      expect(answer.reason).toBeInstanceOf(GatewayOverloadedError);
      expect((answer.reason as Error).message).toMatch(/^gateway answered 429/);
    }
    expect(simulation.ledger().charges.size).toBe(answers.length - refused.length);
  });

  it('takes a key reused for another amount as a bug, not to be retried', async () => {
    await gateway.authorize(request('order-5', 'tok_visa', 1000));
    const error = await gateway
      .authorize(request('order-5', 'tok_visa', 999))
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(TransientGatewayError);
    expect((error as Error).message).toMatch(/^gateway answered 422 .*first used for 1000 EUR/);
  });
});

describe('the HTTP payment gateway, when the connection fails', () => {
  it('takes a refused connection as transient: the request never arrived', async () => {
    const closed = await hangingUp();
    await closed.close();
    const gateway = new HttpPaymentGateway(closed.url, 200);
    const error = await gateway.authorize(request('order-6')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientGatewayError);
    expect(error).not.toBeInstanceOf(UnansweredGatewayError);
    gateway.onApplicationShutdown();
  });

  it('takes a connection broken after the request as unanswered: it may have charged', async () => {
    const server = await hangingUp();
    const gateway = new HttpPaymentGateway(server.url, 1000);
    await expect(gateway.authorize(request('order-7'))).rejects.toThrow(UnansweredGatewayError);
    gateway.onApplicationShutdown();
    await server.close();
  });
});
