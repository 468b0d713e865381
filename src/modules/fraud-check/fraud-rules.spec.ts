import { assess, FraudFacts, FraudRule } from './fraud-rules';

const rules: FraudRule[] = [
  {
    id: 'velocity',
    kind: 'velocity',
    action: 'REJECT',
    params: { windowSeconds: 600, maxOrders: 3 },
  },
  { id: 'amount-review', kind: 'amount', action: 'REVIEW', params: { aboveCents: 10_000 } },
  { id: 'amount-reject', kind: 'amount', action: 'REJECT', params: { aboveCents: 100_000 } },
  { id: 'unit-price', kind: 'unit_price', action: 'REJECT', params: { tolerancePercent: 5 } },
];

const clean: FraudFacts = {
  amountCents: 5_000,
  lines: [{ sku: 'CAP', unitPriceCents: 2_500 }],
  cataloguePrices: new Map([['CAP', 2_500]]),
  ordersWithin: new Map([[600, 0]]),
  blockedBecause: null,
};

describe('fraud rules', () => {
  it('approves an ordinary order with no reasons', () => {
    expect(assess(rules, clean)).toEqual({ verdict: 'APPROVE', reasons: [] });
  });

  it('rejects the order past the velocity limit of its window, not the one at it', () => {
    expect(assess(rules, { ...clean, ordersWithin: new Map([[600, 2]]) }).verdict).toBe('APPROVE');
    const past = assess(rules, { ...clean, ordersWithin: new Map([[600, 3]]) });
    expect(past.verdict).toBe('REJECT');
    expect(past.reasons).toEqual(['velocity: order 4 within 600s (limit 3)']);
  });

  it('flags a large amount for review and rejects a huge one', () => {
    expect(assess(rules, { ...clean, amountCents: 20_000 })).toEqual({
      verdict: 'REVIEW',
      reasons: ['amount-review: amount 20000 above 10000'],
    });
    const huge = assess(rules, { ...clean, amountCents: 200_000 });
    expect(huge.verdict).toBe('REJECT');
    expect(huge.reasons).toHaveLength(2);
  });

  it('rejects a unit price off the catalogue beyond the tolerance, and unknown SKUs', () => {
    const within = { ...clean, lines: [{ sku: 'CAP', unitPriceCents: 2_600 }] };
    expect(assess(rules, within).verdict).toBe('APPROVE');
    const off = assess(rules, { ...clean, lines: [{ sku: 'CAP', unitPriceCents: 100 }] });
    expect(off).toEqual({
      verdict: 'REJECT',
      reasons: ['unit-price: CAP priced 100, catalogue says 2500'],
    });
    const unknown = assess(rules, { ...clean, lines: [{ sku: 'GHOST', unitPriceCents: 100 }] });
    expect(unknown.reasons).toEqual(['unit-price: GHOST is not in the catalogue']);
  });

  it('rejects a blocklisted shopper whatever else holds', () => {
    expect(assess([], { ...clean, blockedBecause: 'chargebacks' })).toEqual({
      verdict: 'REJECT',
      reasons: ['blocklist: chargebacks'],
    });
  });

  it('keeps the strictest verdict when a review rule fires after a reject', () => {
    const facts = { ...clean, amountCents: 20_000, ordersWithin: new Map([[600, 5]]) };
    expect(assess(rules, facts).verdict).toBe('REJECT');
  });
});
