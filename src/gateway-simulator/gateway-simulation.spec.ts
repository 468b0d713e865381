import { GatewayKnobs } from './gateway-knobs';
import {
  AuthorizationCall,
  GatewaySimulation,
  GatewayUnavailableError,
  KeyReusedError,
} from './gateway-simulation';

const KNOBS: GatewayKnobs = {
  latencyMs: 5,
  capacity: 50,
  transientFailureRate: 0,
  declineAboveCents: 1_000_000,
  lostResponseRate: 0,
};

const simulation = (knobs: Partial<GatewayKnobs> = {}, random?: () => number) =>
  new GatewaySimulation({ ...KNOBS, ...knobs }, { random });

const call = (key: string, paymentToken = 'tok_visa', amountCents = 1000): AuthorizationCall => ({
  idempotencyKey: key,
  amountCents,
  currency: 'EUR',
  paymentToken,
});

describe('the gateway simulation', () => {
  it('approves, and answers a repeated key with its first answer without charging again', async () => {
    const gateway = simulation();
    const first = await gateway.authorize(call('order-1'));
    const again = await gateway.authorize(call('order-1'));
    expect(first).toMatchObject({ answer: { status: 'APPROVED' }, lost: false });
    expect(again).toEqual(first);
    expect(gateway.ledger().charges.get('order-1')).toBe(1);
    expect(gateway.ledger().calls).toBe(2);
  });

  it('charges a key once under 20 concurrent calls with it', async () => {
    const gateway = simulation({ latencyMs: 20 });
    const deliveries = await Promise.all(
      Array.from({ length: 20 }, () => gateway.authorize(call('order-2'))),
    );
    const references = new Set(
      deliveries.map(({ answer }) => (answer.status === 'APPROVED' ? answer.reference : null)),
    );
    expect(references.size).toBe(1);
    expect([...references][0]).toMatch(/^sim_/);
    expect(gateway.ledger()).toMatchObject({ calls: 20, peakInFlight: 1 });
    expect(gateway.ledger().charges.get('order-2')).toBe(1);
  });

  it('charges a lost answer, and answers the key asked again with it', async () => {
    const gateway = simulation();
    const lost = await gateway.authorize(call('order-3', 'tok_lost_response'));
    expect(lost).toMatchObject({ answer: { status: 'APPROVED' }, lost: true });
    expect(gateway.ledger().charges.get('order-3')).toBe(1);

    const asked = await gateway.authorize(call('order-3', 'tok_lost_response'));
    expect(asked).toEqual({ answer: lost.answer, lost: false });
    expect(gateway.ledger().charges.get('order-3')).toBe(1);
    expect(gateway.ledger().lostResponses).toBe(1);
  });

  it('loses answers at its configured rate, each on its own', async () => {
    const draws = [0.1, 0.9];
    const gateway = simulation({ lostResponseRate: 0.5 }, () => draws.shift()!);
    expect((await gateway.authorize(call('order-4'))).lost).toBe(true);
    expect((await gateway.authorize(call('order-4'))).lost).toBe(false);
    expect(gateway.ledger().charges.get('order-4')).toBe(1);
  });

  it('voids a charge whose answer was lost, and declines the key from then on', async () => {
    const gateway = simulation();
    await gateway.authorize(call('order-5', 'tok_lost_response'));
    expect(gateway.void('order-5')).toEqual({ chargesVoided: 1 });
    expect(gateway.ledger().charges.has('order-5')).toBe(false);
    expect((await gateway.authorize(call('order-5'))).answer).toEqual({
      status: 'DECLINED',
      reason: 'voided',
    });
    expect(await gateway.lookUp('order-5')).toMatchObject({ charges: 0, voided: true });
  });

  it('never charges an authorization voided while it was being decided', async () => {
    const gateway = simulation({ latencyMs: 30 });
    const late = gateway.authorize(call('order-6'));
    gateway.void('order-6');
    expect((await late).answer).toEqual({ status: 'DECLINED', reason: 'voided' });
    expect(gateway.ledger().charges.size).toBe(0);
  });

  it('refuses a key reused for another amount, charging nothing more', async () => {
    const gateway = simulation();
    await gateway.authorize(call('order-7', 'tok_visa', 1000));
    await expect(gateway.authorize(call('order-7', 'tok_visa', 2000))).rejects.toThrow(
      KeyReusedError,
    );
    expect(gateway.ledger().charges.get('order-7')).toBe(1);
  });

  it('declines test cards and amounts over its limit, charging nothing', async () => {
    const gateway = simulation({ declineAboveCents: 5000 });
    expect((await gateway.authorize(call('a', 'tok_decline_stolen'))).answer).toEqual({
      status: 'DECLINED',
      reason: 'card_declined',
    });
    expect((await gateway.authorize(call('b', 'tok_visa', 5001))).answer).toEqual({
      status: 'DECLINED',
      reason: 'amount_over_limit',
    });
    expect(gateway.ledger().charges.size).toBe(0);
  });

  it('fails transiently at its configured rate, and a retry of the key is asked afresh', async () => {
    const draws = [0.1, 0.9];
    const gateway = simulation({ transientFailureRate: 0.5 }, () => draws.shift()!);
    await expect(gateway.authorize(call('order-8'))).rejects.toThrow(GatewayUnavailableError);
    expect((await gateway.authorize(call('order-8'))).answer.status).toBe('APPROVED');
    expect(gateway.ledger().charges.get('order-8')).toBe(1);
  });

  it('fails calls past twice its capacity as overloaded, and serves the rest', async () => {
    const gateway = simulation({ capacity: 2 });
    const answers = await Promise.allSettled(
      [1, 2, 3, 4, 5, 6].map((n) => gateway.authorize(call(`load-${n}`))),
    );
    const overloaded = answers.filter(
      (a) => a.status === 'rejected' && (a.reason as Error).message === 'gateway overloaded',
    );
    expect(overloaded).toHaveLength(2);
    expect(gateway.ledger().peakInFlight).toBe(6);
    expect(gateway.ledger().charges.size).toBe(4);
  });

  it('takes new knobs from the next call on', async () => {
    const gateway = simulation();
    expect(gateway.tune({ lostResponseRate: 1 })).toMatchObject({ lostResponseRate: 1 });
    expect((await gateway.authorize(call('order-9'))).lost).toBe(true);
    gateway.tune({ lostResponseRate: 0 });
    expect((await gateway.authorize(call('order-9'))).lost).toBe(false);
  });

  it('tells whoever counts the charges it holds', async () => {
    const totals: number[] = [];
    const gateway = new GatewaySimulation(KNOBS, { onChargesChanged: (n) => totals.push(n) });
    await gateway.authorize(call('paid-1'));
    await gateway.authorize(call('paid-1'));
    await gateway.authorize(call('paid-2'));
    await gateway.authorize(call('declined', 'tok_decline'));
    gateway.void('paid-2');
    expect(totals).toEqual([1, 2, 1]);
  });
});
