import { MigrationInterface, QueryRunner } from 'typeorm';

/** The fraud-check module's tables: rules, the blocklist, and every decision with its reasons. */
export class CreateFraudCheckTables1764057600400 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE fraud_rules (
        id      varchar(64) PRIMARY KEY,
        kind    varchar(16) NOT NULL CHECK (kind IN ('velocity', 'amount', 'unit_price')),
        params  jsonb       NOT NULL,
        action  varchar(8)  NOT NULL CHECK (action IN ('REVIEW', 'REJECT')),
        enabled boolean     NOT NULL DEFAULT true
      )`);
    await db.query(`
      INSERT INTO fraud_rules (id, kind, params, action) VALUES
        ('velocity-10-per-10-minutes', 'velocity', '{"windowSeconds": 600, "maxOrders": 10}', 'REJECT'),
        ('amount-review-above-2000', 'amount', '{"aboveCents": 200000}', 'REVIEW'),
        ('amount-reject-above-10000', 'amount', '{"aboveCents": 1000000}', 'REJECT'),
        ('unit-price-off-catalogue', 'unit_price', '{"tolerancePercent": 0}', 'REJECT')`);
    await db.query(`
      CREATE TABLE fraud_blocklist (
        user_id    varchar(64) PRIMARY KEY,
        reason     text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE fraud_decisions (
        order_id     uuid        PRIMARY KEY,
        user_id      varchar(64) NOT NULL,
        decision     varchar(8)  NOT NULL CHECK (decision IN ('APPROVE', 'REVIEW', 'REJECT')),
        reasons      jsonb       NOT NULL DEFAULT '[]',
        amount_cents integer     NOT NULL,
        decided_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE INDEX fraud_decisions_user_window ON fraud_decisions (user_id, decided_at)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE fraud_decisions`);
    await db.query(`DROP TABLE fraud_blocklist`);
    await db.query(`DROP TABLE fraud_rules`);
  }
}
