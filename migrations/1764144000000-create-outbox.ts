import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: a message for Kafka is written in the same transaction as the
 * change it announces, and a relay publishes it, so neither is lost when Kafka is down.
 */
export class CreateOutbox1764144000000 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE outbox (
        id           bigserial   PRIMARY KEY,
        message_id   uuid        NOT NULL,
        topic        varchar(64) NOT NULL,
        key          varchar(64) NOT NULL,
        envelope     jsonb       NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        -- A relay holds the rows it is publishing until then; past it, another may take them.
        claimed_until timestamptz,
        published_at timestamptz
      )`);
    await db.query(`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`);
    await db.query(`CREATE INDEX outbox_published_at ON outbox (published_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE outbox`);
  }
}
