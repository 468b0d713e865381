import { MigrationInterface, QueryRunner } from 'typeorm';

/** The cart module's tables: the catalogue with its stock, cart items, stock reservations. */
export class CreateCartTables1764057600100 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE products (
        sku         varchar(64) PRIMARY KEY,
        name        text        NOT NULL,
        price_cents integer     NOT NULL CHECK (price_cents > 0),
        currency    char(3)     NOT NULL,
        stock       integer     NOT NULL CHECK (stock >= 0),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE cart_items (
        user_id  varchar(64) NOT NULL,
        sku      varchar(64) NOT NULL REFERENCES products (sku),
        quantity integer     NOT NULL CHECK (quantity > 0),
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, sku)
      )`);
    await db.query(`
      CREATE TABLE stock_reservations (
        order_id   uuid        NOT NULL,
        sku        varchar(64) NOT NULL REFERENCES products (sku),
        user_id    varchar(64) NOT NULL,
        quantity   integer     NOT NULL CHECK (quantity > 0),
        status     varchar(16) NOT NULL CHECK (status IN ('RESERVED', 'RELEASED', 'COMMITTED')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, sku)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE stock_reservations`);
    await db.query(`DROP TABLE cart_items`);
    await db.query(`DROP TABLE products`);
  }
}
