import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order under way that holds a cart item: placing an order (or retrying its payment) holds
 * the shopper's cart until the payment is decided, so one cart's contents become at most one
 * order however many requests arrive at once.
 */
export class HoldCartsForOrdersUnderWay1764489600000 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE cart_items ADD COLUMN held_by uuid`);
    await db.query(
      `CREATE INDEX cart_items_held_by ON cart_items (held_by) WHERE held_by IS NOT NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX cart_items_held_by`);
    await db.query(`ALTER TABLE cart_items DROP COLUMN held_by`);
  }
}
