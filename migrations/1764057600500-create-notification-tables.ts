import { MigrationInterface, QueryRunner } from 'typeorm';

/** The notification module's table: what was sent to whom on which channel, once per order. */
export class CreateNotificationTables1764057600500 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE notifications (
        id         uuid        PRIMARY KEY,
        order_id   uuid        NOT NULL,
        user_id    varchar(64) NOT NULL,
        channel    varchar(8)  NOT NULL CHECK (channel IN ('push', 'mail', 'sms')),
        kind       varchar(32) NOT NULL,
        body       text        NOT NULL,
        status     varchar(8)  NOT NULL CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
        error      text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at    timestamptz,
        CONSTRAINT notifications_once UNIQUE (order_id, channel, kind)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE notifications`);
  }
}
