import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LastStatement } from '../../database/pipelined-transaction';
import { columnsOf } from '../../database/statements-together';
import { UnitOfWork } from '../../messaging';
import { inSpan } from '../../runtime/tracing/in-span';
import { CatalogueService } from '../cart';
import { assess, FraudAssessment, FraudRule } from './fraud-rules';

/** The order as the fraud check needs to see it. */
export interface FraudCheckRequest {
  orderId: string;
  userId: string;
  amountCents: number;
  lines: { sku: string; unitPriceCents: number }[];
}

/** A verdict, and whether this check decided it or found it decided by an earlier one. */
export interface FraudCheckResult extends FraudAssessment {
  /** The order was checked before: a payment of it may be recorded already. */
  decidedBefore: boolean;
}

const RECORD_DECISION = `INSERT INTO fraud_decisions (order_id, user_id, decision, reasons, amount_cents)
                         VALUES ($1, $2, $3, $4::jsonb, $5)`;
/** The decisions of the payments sharing a transaction, in one statement. */
const RECORD_DECISIONS = `INSERT INTO fraud_decisions (order_id, user_id, decision, reasons, amount_cents)
                          SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::jsonb[], $5::int[])`;
const decisionsTogether = (valuesOfEach: unknown[][]): LastStatement[] => [
  { text: RECORD_DECISIONS, values: columnsOf(valuesOfEach) },
];

@Injectable()
export class FraudCheckService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly catalogue: CatalogueService,
  ) {}

  /**
   * Decides on an order and stores the decision with its reasons (sent with the commit), in a
   * transaction shared with other shoppers' checks. Deciding the same order again returns the
   * stored decision. The shopper's orders are checked one at a time (an advisory lock per
   * shopper, and never two in one transaction), so two concurrent orders cannot both slip under
   * a window limit.
   */
  check(request: FraudCheckRequest): Promise<FraudCheckResult> {
    const attributes = { 'order.id': request.orderId };
    return inSpan('fraud check', { attributes }, async (span) => {
      const assessment = await this.decide(request);
      span.setAttribute('fraud.verdict', assessment.verdict);
      return assessment;
    });
  }

  private decide(request: FraudCheckRequest): Promise<FraudCheckResult> {
    const shopper = { key: request.userId };
    return this.unitOfWork.runInGroup(
      'fraud checks',
      async ({ manager, withCommit }) => {
        // Asked together, in one write: the read runs once the lock is granted, so it sees every
        // decision committed before it.
        const [, known] = await Promise.all([
          manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
            `fraud-check:${request.userId}`,
          ]),
          this.knownOf(manager, request),
        ]);
        if (known.earlier) return { ...known.earlier, decidedBefore: true };

        const prices = known.rules.some((rule) => rule.kind === 'unit_price')
          ? await this.catalogue.pricesOf(
              manager,
              request.lines.map((line) => line.sku),
            )
          : [];
        const assessment = assess(known.rules, {
          amountCents: request.amountCents,
          lines: request.lines,
          cataloguePrices: new Map(prices.map((price) => [price.sku, price.priceCents])),
          ordersWithin: new Map(known.ordersWithin),
          blockedBecause: known.blockedBecause,
        });
        withCommit({
          statements: [
            {
              text: RECORD_DECISION,
              values: [
                request.orderId,
                request.userId,
                assessment.verdict,
                JSON.stringify(assessment.reasons),
                request.amountCents,
              ],
              together: decisionsTogether,
            },
          ],
          // Nothing to refuse: a failed insert is the database's error, as any query's.
          refusal: (failure) => Promise.resolve(failure),
        });
        return { ...assessment, decidedBefore: false };
      },
      shopper,
    );
  }

  /**
   * What the check knows of the order and its shopper, in one statement, as every payment at
   * peak comes here: an earlier decision, the rules in force, the blocklist, and the shopper's
   * decisions within each velocity window.
   */
  private async knownOf(manager: EntityManager, request: FraudCheckRequest): Promise<Known> {
    const [known] = await manager.query<Known[]>(
      `SELECT
         (SELECT json_build_object('verdict', decision, 'reasons', reasons)
            FROM fraud_decisions WHERE order_id = $2) AS earlier,
         (SELECT coalesce(json_agg(json_build_object(
                   'id', id, 'kind', kind, 'action', action, 'params', params) ORDER BY id), '[]')
            FROM fraud_rules WHERE enabled) AS rules,
         (SELECT reason FROM fraud_blocklist WHERE user_id = $1) AS "blockedBecause",
         (SELECT coalesce(json_agg(json_build_array(w.seconds, (
                   SELECT count(*) FROM fraud_decisions
                    WHERE user_id = $1 AND decided_at > now() - make_interval(secs => w.seconds)
                 ))), '[]')
            FROM (SELECT DISTINCT (params->>'windowSeconds')::float8 AS seconds
                    FROM fraud_rules WHERE enabled AND kind = 'velocity') w) AS "ordersWithin"`,
      [request.userId, request.orderId],
    );
    return known;
  }
}

interface Known {
  earlier: FraudAssessment | null;
  rules: FraudRule[];
  blockedBecause: string | null;
  /** [window in seconds, the shopper's decisions within it] */
  ordersWithin: [number, number][];
}
