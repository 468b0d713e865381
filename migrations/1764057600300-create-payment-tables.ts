import { MigrationInterface, QueryRunner } from 'typeorm';

/** The payment module's table: one payment per order and attempt, so an order is charged once. */
export class CreatePaymentTables1764057600300 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE payments (
        id                uuid        PRIMARY KEY,
        order_id          uuid        NOT NULL,
        attempt           integer     NOT NULL DEFAULT 1,
        status            varchar(16) NOT NULL
                          CHECK (status IN ('APPROVED', 'DECLINED', 'ERROR', 'FRAUD_REJECTED')),
        amount_cents      integer     NOT NULL,
        currency          char(3)     NOT NULL,
        gateway_reference varchar(64),
        gateway_calls     integer     NOT NULL DEFAULT 0,
        reasons           jsonb       NOT NULL DEFAULT '[]',
        created_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT payments_order_attempt UNIQUE (order_id, attempt)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE payments`);
  }
}
