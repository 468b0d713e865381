import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each instance reports its sync bulkhead (checkouts running, waiting, its limit) and its
 * circuit to the payment gateway, both held in that instance alone, for the fleet's figures.
 */
export class ReportSyncCheckoutsAndGatewayCircuit1764576000300 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE instance_reports
        ADD COLUMN sync_in_use     integer     NOT NULL DEFAULT 0,
        ADD COLUMN sync_queued     integer     NOT NULL DEFAULT 0,
        ADD COLUMN sync_limit      integer     NOT NULL DEFAULT 0,
        ADD COLUMN gateway_circuit varchar(16) NOT NULL DEFAULT 'closed'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE instance_reports
        DROP COLUMN sync_in_use,
        DROP COLUMN sync_queued,
        DROP COLUMN sync_limit,
        DROP COLUMN gateway_circuit`);
  }
}
