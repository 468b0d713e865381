/** What a fraud check answers: go ahead, go ahead but flag for a human, or stop. */
export type FraudVerdict = 'APPROVE' | 'REVIEW' | 'REJECT';
export type RuleAction = Exclude<FraudVerdict, 'APPROVE'>;

export type FraudRule =
  | {
      id: string;
      kind: 'velocity';
      action: RuleAction;
      params: { windowSeconds: number; maxOrders: number };
    }
  | { id: string; kind: 'amount'; action: RuleAction; params: { aboveCents: number } }
  | { id: string; kind: 'unit_price'; action: RuleAction; params: { tolerancePercent: number } };

/** Everything the rules look at, gathered beforehand so the rules stay pure. */
export interface FraudFacts {
  amountCents: number;
  lines: { sku: string; unitPriceCents: number }[];
  /** Catalogue price now, per SKU; a SKU missing here is not in the catalogue. */
  cataloguePrices: ReadonlyMap<string, number>;
  /** The shopper's earlier orders inside each velocity window, by window length in seconds. */
  ordersWithin: ReadonlyMap<number, number>;
  /** Why the shopper is blocklisted, or null. */
  blockedBecause: string | null;
}

export interface FraudAssessment {
  verdict: FraudVerdict;
  reasons: string[];
}

const SEVERITY: Record<FraudVerdict, number> = { APPROVE: 0, REVIEW: 1, REJECT: 2 };

function findings(rule: FraudRule, facts: FraudFacts): string[] {
  switch (rule.kind) {
    case 'velocity': {
      const earlier = facts.ordersWithin.get(rule.params.windowSeconds) ?? 0;
      return earlier >= rule.params.maxOrders
        ? [
            `${rule.id}: order ${earlier + 1} within ${rule.params.windowSeconds}s (limit ${rule.params.maxOrders})`,
          ]
        : [];
    }
    case 'amount':
      return facts.amountCents > rule.params.aboveCents
        ? [`${rule.id}: amount ${facts.amountCents} above ${rule.params.aboveCents}`]
        : [];
    case 'unit_price':
      return facts.lines.flatMap(({ sku, unitPriceCents }) => {
        const catalogue = facts.cataloguePrices.get(sku);
        if (catalogue === undefined) return [`${rule.id}: ${sku} is not in the catalogue`];
        const offPercent = (Math.abs(unitPriceCents - catalogue) / catalogue) * 100;
        return offPercent > rule.params.tolerancePercent
          ? [`${rule.id}: ${sku} priced ${unitPriceCents}, catalogue says ${catalogue}`]
          : [];
      });
  }
}

/** Applies every rule; the strictest action among the rules that fire is the verdict. */
export function assess(rules: readonly FraudRule[], facts: FraudFacts): FraudAssessment {
  let verdict: FraudVerdict = 'APPROVE';
  const reasons: string[] = [];
  if (facts.blockedBecause !== null) {
    verdict = 'REJECT';
    reasons.push(`blocklist: ${facts.blockedBecause}`);
  }
  for (const rule of rules) {
    const found = findings(rule, facts);
    if (found.length === 0) continue;
    reasons.push(...found);
    if (SEVERITY[rule.action] > SEVERITY[verdict]) verdict = rule.action;
  }
  return { verdict, reasons };
}
