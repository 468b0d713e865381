import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every order waiting for its payment is watched until a deadline (lost-message detection),
 * re-driven a bounded number of times, then flagged for a human. A failed payment can be
 * retried by the shopper: each retry is a new attempt under its own idempotency key.
 */
export class WatchAndRetryOrderPayments1764230400200 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE orders
        ADD COLUMN payment_attempt    integer     NOT NULL DEFAULT 1,
        ADD COLUMN watch_until        timestamptz,
        ADD COLUMN redrives           integer     NOT NULL DEFAULT 0,
        ADD COLUMN needs_attention_at timestamptz`);
    await db.query(`
      UPDATE orders SET watch_until = now() WHERE status = 'PENDING_PAYMENT'`);
    await db.query(`
      CREATE INDEX orders_waiting_for_payment ON orders (watch_until)
       WHERE status = 'PENDING_PAYMENT'`);
    await db.query(`
      CREATE TABLE payment_retries (
        order_id        uuid         NOT NULL REFERENCES orders (id),
        idempotency_key varchar(128) NOT NULL,
        attempt         integer      NOT NULL,
        request_hash    char(64)     NOT NULL,
        created_at      timestamptz  NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, idempotency_key),
        CONSTRAINT payment_retries_attempt UNIQUE (order_id, attempt)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE payment_retries`);
    await db.query(`DROP INDEX orders_waiting_for_payment`);
    await db.query(`
      ALTER TABLE orders
        DROP COLUMN payment_attempt,
        DROP COLUMN watch_until,
        DROP COLUMN redrives,
        DROP COLUMN needs_attention_at`);
  }
}
