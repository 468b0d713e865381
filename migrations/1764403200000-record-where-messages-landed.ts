import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each published message landed in Kafka (its topic as named there, partition and offset,
 * as the broker's acknowledgement says), written by the relay in the update that marks it published; and the
 * latest message of an order found by its key. Together with the consumer group's committed
 * offsets they tell the watchdog whether an order's message is still queued (late) or was
 * passed with no effect (lost).
 */
export class RecordWhereMessagesLanded1764403200000 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE outbox
        ADD COLUMN kafka_topic     varchar(255),
        ADD COLUMN kafka_partition integer,
        ADD COLUMN kafka_offset    bigint`);
    await db.query(`CREATE INDEX outbox_by_key ON outbox (key, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX outbox_by_key`);
    await db.query(`
      ALTER TABLE outbox
        DROP COLUMN kafka_topic,
        DROP COLUMN kafka_partition,
        DROP COLUMN kafka_offset`);
  }
}
