import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each instance's own figures, reported every second, so that any API instance can show the
 * fleet's (the admin console): a worker's permits live in that worker alone.
 */
export class CreateInstanceReports1764316800000 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE instance_reports (
        instance             varchar(255) PRIMARY KEY,
        roles                varchar(16)  NOT NULL,
        effective_mode       varchar(8)   NOT NULL,
        accepted_per_second  real         NOT NULL,
        completed_per_second real         NOT NULL,
        accept_p95_ms        real,
        permits_in_use       integer      NOT NULL,
        permit_limit         integer      NOT NULL,
        reported_at          timestamptz  NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE instance_reports`);
  }
}
