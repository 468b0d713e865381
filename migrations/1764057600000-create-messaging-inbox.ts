import { MigrationInterface, QueryRunner } from 'typeorm';

/** De-duplication records: which consumer has handled which message id. */
export class CreateMessagingInbox1764057600000 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE processed_messages (
        consumer     varchar(64) NOT NULL,
        message_id   uuid        NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
    await db.query(
      `CREATE INDEX processed_messages_processed_at ON processed_messages (processed_at)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE processed_messages`);
  }
}
