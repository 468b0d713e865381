import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FraudCheckService } from '../src/modules/fraud-check';
import { Response } from 'supertest';
import { Shopper } from './support/shopper';
import { waitFor } from './support/wait-for';
import {
  finalOrder,
  newProduct,
  newShopper,
  startApp,
  stockOf,
  switchMode,
  TestApp,
} from './support/test-app';

interface Scenario {
  name: string;
  paymentToken: string;
  before?: (db: DataSource, shopperId: string) => Promise<unknown>;
  status: 'PAID' | 'PAYMENT_FAILED' | 'FRAUD_REJECTED';
  payment: 'APPROVED' | 'DECLINED' | 'ERROR' | 'FRAUD_REJECTED';
  reason: RegExp | null;
  fraudDecision: 'APPROVE' | 'REJECT';
}

/** The order scenarios every checkout mode must pass with the same end states. */
const scenarios: Scenario[] = [
  {
    name: 'an approved card pays the order',
    paymentToken: 'tok_visa',
    status: 'PAID',
    payment: 'APPROVED',
    reason: null,
    fraudDecision: 'APPROVE',
  },
  {
    name: 'a declined card fails the payment',
    paymentToken: 'tok_decline_card',
    status: 'PAYMENT_FAILED',
    payment: 'DECLINED',
    reason: /card_declined/,
    fraudDecision: 'APPROVE',
  },
  {
    name: 'an unreachable gateway fails the payment after bounded retries',
    paymentToken: 'tok_unavailable',
    status: 'PAYMENT_FAILED',
    payment: 'ERROR',
    reason: /gateway unavailable after 3 attempts/,
    fraudDecision: 'APPROVE',
  },
  {
    name: 'a blocklisted shopper is rejected by the fraud check',
    paymentToken: 'tok_visa',
    before: (db, shopperId) =>
      db.query(`INSERT INTO fraud_blocklist (user_id, reason) VALUES ($1, 'chargebacks')`, [
        shopperId,
      ]),
    status: 'FRAUD_REJECTED',
    payment: 'FRAUD_REJECTED',
    reason: /blocklist: chargebacks/,
    fraudDecision: 'REJECT',
  },
];

type Mode = 'sync' | 'async';

/** What placing answers in each mode: the final order, or the order accepted and pending. */
const ACCEPTED: Record<Mode, { status: number; order: string | null }> = {
  sync: { status: 201, order: null },
  async: { status: 202, order: 'PENDING_PAYMENT' },
};

describe.each(['sync', 'async'] as const)('checkout in %s mode', (mode: Mode) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
    await switchMode(app, mode);
  });
  afterAll(() => app.close());

  /** Checks the answer to placing, then follows the order until it is final. */
  async function settled(shopper: Shopper, placed: Response) {
    expect(placed.status).toBe(ACCEPTED[mode].status);
    if (ACCEPTED[mode].order) expect(placed.body.status).toBe(ACCEPTED[mode].order);
    expect(placed.body.mode).toBe(mode);
    return finalOrder(app, shopper.id, placed.body.id as string);
  }

  describe.each(scenarios)('$name', (scenario) => {
    let shopper: Shopper;
    let sku: string;
    let order: {
      id: string;
      status: string;
      failureReason: string | null;
      payment: { status: string };
    };

    beforeAll(async () => {
      shopper = new Shopper(app, newShopper());
      sku = await newProduct(app.db, { stock: 5, priceCents: 2500 });
      await scenario.before?.(app.db, shopper.id);
      const placed = await shopper.buy(sku, 2, scenario.paymentToken);
      order = (await settled(shopper, placed)) as unknown as typeof order;
    });

    it(`ends the order as ${scenario.status}`, () => {
      expect(order.status).toBe(scenario.status);
      if (scenario.reason) expect(order.failureReason).toMatch(scenario.reason);
      else expect(order.failureReason).toBeNull();
    });

    it(`records the payment as ${scenario.payment}`, async () => {
      expect(order.payment.status).toBe(scenario.payment);
      const payments = await app.db.query(`SELECT status FROM payments WHERE order_id = $1`, [
        order.id,
      ]);
      expect(payments).toEqual([{ status: scenario.payment }]);
    });

    it('charges the card only when the order is paid, and at most once', () => {
      const charges = app.gatewayLedger().charges.get(order.id) ?? 0;
      expect(charges).toBe(scenario.status === 'PAID' ? 1 : 0);
    });

    it('keeps the sold units off the shelf, or puts them back', async () => {
      expect(await stockOf(app.db, sku)).toBe(scenario.status === 'PAID' ? 3 : 5);
      const reservations = await app.db.query(
        `SELECT status FROM stock_reservations WHERE order_id = $1`,
        [order.id],
      );
      expect(reservations).toEqual([
        { status: scenario.status === 'PAID' ? 'COMMITTED' : 'RELEASED' },
      ]);
    });

    it('clears the cart only after an approved payment', async () => {
      const cart = (await shopper.cart()).body;
      expect(cart.items).toHaveLength(scenario.status === 'PAID' ? 0 : 1);
    });

    it('stores the fraud decision with its reasons', async () => {
      const [decision] = await app.db.query(
        `SELECT decision, reasons FROM fraud_decisions WHERE order_id = $1`,
        [order.id],
      );
      expect(decision.decision).toBe(scenario.fraudDecision);
      if (scenario.fraudDecision === 'REJECT')
        expect((decision.reasons as string[]).join()).toMatch(scenario.reason!);
    });

    it('tells the shopper by push, mail and SMS, once each', async () => {
      // In async mode the order is final before every notification is recorded.
      const sent = await waitFor('three notifications', async () => {
        const rows = await app.db.query<{ channel: string; status: string }[]>(
          `SELECT channel, status FROM notifications WHERE order_id = $1 ORDER BY channel`,
          [order.id],
        );
        return rows.length >= 3 ? rows : undefined;
      });
      expect(sent).toEqual([
        { channel: 'mail', status: 'SENT' },
        { channel: 'push', status: 'SENT' },
        { channel: 'sms', status: 'SENT' },
      ]);
    });

    it('shows the placement and the result on the timeline', async () => {
      const timeline = (await shopper.timeline(order.id)).body as { type: string }[];
      expect(timeline.map((entry) => entry.type)).toEqual(['PLACED', scenario.status]);
    });
  });

  it('rejects the order past the velocity window limit (10 per 10 minutes)', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 100 });
    const statuses: string[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await settled(shopper, await shopper.buy(sku))).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill('PAID'));
    expect(statuses[10]).toBe('FRAUD_REJECTED');
    expect(await stockOf(app.db, sku)).toBe(90);
  });

  it("lets 10 of one shopper's orders through the window when 12 are checked at once", async () => {
    const fraudCheck = app.app.get(FraudCheckService);
    const userId = newShopper();
    const checks = await Promise.all(
      Array.from({ length: 12 }, () =>
        fraudCheck.check({ orderId: randomUUID(), userId, amountCents: 1200, lines: [] }),
      ),
    );
    expect(checks.filter((check) => check.verdict === 'REJECT')).toHaveLength(2);
  });

  it('pays a large order but flags it for review with the reason', async () => {
    const shopper = new Shopper(app, newShopper());
    const sku = await newProduct(app.db, { stock: 1, priceCents: 250_000 });
    const order = (await settled(shopper, await shopper.buy(sku))) as {
      id: string;
      status: string;
      payment: { reasons: string[] };
    };
    expect(order.status).toBe('PAID');
    const [decision] = await app.db.query(
      `SELECT decision, reasons FROM fraud_decisions WHERE order_id = $1`,
      [order.id],
    );
    expect(decision).toEqual({
      decision: 'REVIEW',
      reasons: ['amount-review-above-2000: amount 250000 above 200000'],
    });
    expect(order.payment.reasons).toEqual(decision.reasons);
  });
});
