import { MigrationInterface, QueryRunner } from 'typeorm';

/** The order module's tables: orders (idempotent per user and key), their lines, the timeline. */
export class CreateOrderTables1764057600200 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE orders (
        id              uuid         PRIMARY KEY,
        user_id         varchar(64)  NOT NULL,
        status          varchar(32)  NOT NULL,
        mode            varchar(8)   NOT NULL,
        amount_cents    integer      NOT NULL CHECK (amount_cents > 0),
        currency        char(3)      NOT NULL,
        payment_token   varchar(128) NOT NULL,
        idempotency_key varchar(128) NOT NULL,
        request_hash    char(64)     NOT NULL,
        failure_reason  text,
        payment_id      uuid,
        created_at      timestamptz  NOT NULL DEFAULT now(),
        updated_at      timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT orders_user_idempotency_key UNIQUE (user_id, idempotency_key)
      )`);
    await db.query(`CREATE INDEX orders_status_created_at ON orders (status, created_at)`);
    await db.query(`
      CREATE TABLE order_lines (
        order_id         uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        sku              varchar(64) NOT NULL,
        name             text        NOT NULL,
        unit_price_cents integer     NOT NULL CHECK (unit_price_cents > 0),
        quantity         integer     NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (order_id, sku)
      )`);
    await db.query(`
      CREATE TABLE order_timeline (
        id       bigserial   PRIMARY KEY,
        order_id uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        type     varchar(32) NOT NULL,
        detail   jsonb       NOT NULL DEFAULT '{}',
        at       timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX order_timeline_order ON order_timeline (order_id, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE order_timeline`);
    await db.query(`DROP TABLE order_lines`);
    await db.query(`DROP TABLE orders`);
  }
}
