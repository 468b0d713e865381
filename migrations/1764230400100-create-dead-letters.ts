import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Records no retry could process, as admins list and replay them. The dead-letter topics keep
 * the same records for Kafka's own tools; this table is what the admin API reads.
 */
export class CreateDeadLetters1764230400100 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE dead_letters (
        id               bigserial    PRIMARY KEY,
        kafka_topic      varchar(255) NOT NULL,
        partition        integer      NOT NULL,
        "offset"         bigint       NOT NULL,
        key              varchar(255) NOT NULL,
        value            text         NOT NULL,
        error            text         NOT NULL,
        attempts         integer      NOT NULL,
        dead_lettered_at timestamptz  NOT NULL DEFAULT now(),
        replayed_at      timestamptz,
        replayed_by      varchar(64),
        CONSTRAINT dead_letters_record UNIQUE (kafka_topic, partition, "offset")
      )`);
    await db.query(
      `CREATE INDEX dead_letters_waiting ON dead_letters (id) WHERE replayed_at IS NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE dead_letters`);
  }
}
