import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The units still held for orders, oldest first: the watchdog looks for orders decided whose
 * result never reached the cart, among those alone rather than every reservation ever made.
 */
export class FindUnitsHeldLong1764662400000 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX stock_reservations_held ON stock_reservations (updated_at)
        WHERE status = 'RESERVED'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX stock_reservations_held`);
  }
}
