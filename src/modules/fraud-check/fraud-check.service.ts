import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CatalogueService } from '../cart';
import { BlockedShopper, FraudDecision, FraudRuleRow } from './fraud.entities';
import { assess, FraudAssessment, FraudRule } from './fraud-rules';

/** The order as the fraud check needs to see it. */
export interface FraudCheckRequest {
  orderId: string;
  userId: string;
  amountCents: number;
  lines: { sku: string; unitPriceCents: number }[];
}

@Injectable()
export class FraudCheckService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalogue: CatalogueService,
  ) {}

  /**
   * Decides on an order and stores the decision with its reasons. Deciding the same order
   * again returns the stored decision. The shopper's orders are checked one at a time (an
   * advisory lock per shopper), so two concurrent orders cannot both slip under a window limit.
   */
  check(request: FraudCheckRequest): Promise<FraudAssessment> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
        `fraud-check:${request.userId}`,
      ]);
      const earlier = await manager.findOneBy(FraudDecision, { orderId: request.orderId });
      if (earlier) return { verdict: earlier.decision, reasons: earlier.reasons };

      const rules = (await manager.findBy(FraudRuleRow, { enabled: true })) as FraudRule[];
      const prices = await this.catalogue.pricesOf(
        manager,
        request.lines.map((line) => line.sku),
      );
      const blocked = await manager.findOneBy(BlockedShopper, { userId: request.userId });
      const assessment = assess(rules, {
        amountCents: request.amountCents,
        lines: request.lines,
        cataloguePrices: new Map(prices.map((price) => [price.sku, price.priceCents])),
        ordersWithin: await this.ordersWithin(manager, request.userId, rules),
        blockedBecause: blocked?.reason ?? null,
      });
      await manager.insert(FraudDecision, {
        orderId: request.orderId,
        userId: request.userId,
        decision: assessment.verdict,
        reasons: assessment.reasons,
        amountCents: request.amountCents,
      });
      return assessment;
    });
  }

  private async ordersWithin(
    manager: EntityManager,
    userId: string,
    rules: FraudRule[],
  ): Promise<Map<number, number>> {
    const windows = new Set(
      rules.flatMap((rule) => (rule.kind === 'velocity' ? [rule.params.windowSeconds] : [])),
    );
    const counts = new Map<number, number>();
    for (const seconds of windows) {
      const [{ count }]: { count: number }[] = await manager.query(
        `SELECT count(*)::int AS count FROM fraud_decisions
          WHERE user_id = $1 AND decided_at > now() - make_interval(secs => $2)`,
        [userId, seconds],
      );
      counts.set(seconds, count);
    }
    return counts;
  }
}
