import { GatewaySimulation } from './gateway-simulation';
import { GatewaySimulatorServer } from './gateway-simulator-server';

describe('the gateway simulator service', () => {
  let server: GatewaySimulatorServer;
  let url: string;

  beforeEach(async () => {
    const simulation = new GatewaySimulation({
      latencyMs: 1,
      capacity: 10,
      transientFailureRate: 0,
      declineAboveCents: 1_000_000,
      lostResponseRate: 0,
    });
    server = new GatewaySimulatorServer(simulation);
    url = await server.listen(0, '127.0.0.1');
  });
  afterEach(() => server.close());

  const authorize = (key: string | null, body: object) =>
    fetch(`${url}/authorizations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) },
      body: JSON.stringify(body),
    });
  const card = { amountCents: 1000, currency: 'EUR', paymentToken: 'tok_visa' };

  it('keeps a ledger of calls and charges, voids included', async () => {
    await authorize('k1', card);
    await authorize('k1', card);
    await authorize('k2', card);
    await fetch(`${url}/authorizations/k2/void`, { method: 'POST' });
    const ledger = await (await fetch(`${url}/ledger`)).json();
    expect(ledger).toEqual({
      calls: 3,
      inFlight: 0,
      peakInFlight: 1,
      charges: 1,
      keysChargedMoreThanOnce: [],
      lostResponses: 0,
      voids: 1,
    });
    expect(await (await fetch(`${url}/authorizations/k1`)).json()).toMatchObject({
      key: 'k1',
      charges: 1,
      voided: false,
      answer: { status: 'APPROVED' },
    });
    expect((await fetch(`${url}/authorizations/unknown`)).status).toBe(404);
  });

  it('answers 503 with Retry-After when down, and 429 when past twice its capacity', async () => {
    const down = await authorize('k3', { ...card, paymentToken: 'tok_unavailable' });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');

    await fetch(`${url}/knobs`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ capacity: 1, latencyMs: 50 }),
    });
    const rush = await Promise.all(
      Array.from({ length: 6 }, (_, i) => authorize(`rush-${i}`, card)),
    );
    const overloaded = rush.filter((answer) => answer.status === 429);
    expect(overloaded.length).toBeGreaterThanOrEqual(3);
    expect(overloaded[0].headers.get('retry-after')).toBe('1');
  });

  it('refuses a call without a key, a bad body, and a key reused for another amount', async () => {
    expect((await authorize(null, card)).status).toBe(400);
    expect((await authorize('k4', { ...card, amountCents: 'ten' })).status).toBe(400);
    await authorize('k5', card);
    const reused = await authorize('k5', { ...card, amountCents: 2000 });
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ error: 'idempotency_key_reused' });
  });

  it('is tuned live, and refuses a knob it does not have', async () => {
    const tune = (body: object) =>
      fetch(`${url}/knobs`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const tuned = await tune({ latencyMs: 250, lostResponseRate: 0.5 });
    expect(await tuned.json()).toMatchObject({ latencyMs: 250, lostResponseRate: 0.5 });
    expect((await tune({ latency: 5 })).status).toBe(400);
    expect((await tune({ lostResponseRate: 2 })).status).toBe(400);
    expect(await (await fetch(`${url}/knobs`)).json()).toMatchObject({ latencyMs: 250 });
  });
});
