import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One home for every knob the fleet follows at runtime (checkout mode, backpressure limit),
 * with one audit trail. The checkout mode and its history move here from their own tables.
 */
export class CreateRuntimeSettings1764230400000 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE runtime_settings (
        name   varchar(64) PRIMARY KEY,
        value  varchar(64) NOT NULL,
        set_by varchar(64) NOT NULL,
        set_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE runtime_setting_changes (
        id         bigserial   PRIMARY KEY,
        name       varchar(64) NOT NULL,
        from_value varchar(64),
        to_value   varchar(64) NOT NULL,
        changed_by varchar(64) NOT NULL,
        reason     text,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE INDEX runtime_setting_changes_by_name ON runtime_setting_changes (name, id)`,
    );
    await db.query(`
      INSERT INTO runtime_settings (name, value, set_by, set_at)
      SELECT 'checkout_mode', mode, set_by, set_at FROM checkout_mode`);
    await db.query(`
      INSERT INTO runtime_setting_changes (name, from_value, to_value, changed_by, reason, changed_at)
      SELECT 'checkout_mode', from_mode, to_mode, changed_by, reason, changed_at
        FROM checkout_mode_changes ORDER BY id`);
    await db.query(`DROP TABLE checkout_mode_changes`);
    await db.query(`DROP TABLE checkout_mode`);
  }

  async down(db: QueryRunner): Promise<void> {
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
    // Auto mode did not exist before: it goes back as sync.
    await db.query(`
      INSERT INTO checkout_mode (id, mode, set_by, set_at)
      SELECT 1, CASE WHEN value = 'async' THEN 'async' ELSE 'sync' END, set_by, set_at
        FROM runtime_settings WHERE name = 'checkout_mode'`);
    await db.query(`
      INSERT INTO checkout_mode_changes (from_mode, to_mode, changed_by, reason, changed_at)
      SELECT from_value, to_value, changed_by, reason, changed_at FROM runtime_setting_changes
       WHERE name = 'checkout_mode' AND to_value IN ('sync', 'async')
         AND (from_value IS NULL OR from_value IN ('sync', 'async'))
       ORDER BY id`);
    await db.query(`DROP TABLE runtime_setting_changes`);
    await db.query(`DROP TABLE runtime_settings`);
  }
}
