import { MigrationInterface, QueryRunner } from 'typeorm';

/** The checkout mode every instance follows, and the audit trail of its changes. */
export class CreateCheckoutMode1764144000100 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE checkout_mode (
        id     smallint    PRIMARY KEY CHECK (id = 1),
        mode   varchar(8)  NOT NULL CHECK (mode IN ('sync', 'async')),
        set_by varchar(64) NOT NULL,
        set_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE checkout_mode_changes (
        id         bigserial   PRIMARY KEY,
        from_mode  varchar(8),
        to_mode    varchar(8)  NOT NULL,
        changed_by varchar(64) NOT NULL,
        reason     text,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE checkout_mode_changes`);
    await db.query(`DROP TABLE checkout_mode`);
  }
}
