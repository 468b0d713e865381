import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { LastStatement } from '../../database/pipelined-transaction';
import { columnsOf } from '../../database/statements-together';
import { CommitStep } from '../commit-step';
import { Envelope } from '../envelope';

/** A message of the outbox, and where it landed in Kafka once published. */
export interface OutboxMessage {
  key: string;
  topic: string;
  publishedAt: Date | null;
  /** How long ago it was staged, in the database's clock. */
  stagedMsAgo: number;
  /**
   * Where it landed (the topic as Kafka names it); null while unpublished, or when published
   * before landings were recorded.
   */
  kafkaTopic: string | null;
  partition: number | null;
  offset: number | null;
}

const STAGE = `INSERT INTO outbox (message_id, topic, key, envelope) VALUES ($1, $2, $3, $4::jsonb)`;
/** Many messages, in order: the outbox rows of the units sharing a transaction, in one statement. */
const STAGE_MANY = `INSERT INTO outbox (message_id, topic, key, envelope)
                    SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::jsonb[])`;
const stagedTogether = (valuesOfEach: unknown[][]): LastStatement[] => [
  { text: STAGE_MANY, values: columnsOf(valuesOfEach) },
];

/** Writes messages for Kafka into the outbox, inside the transaction that produced them. */
@Injectable()
export class Outbox {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async stage(manager: EntityManager, envelopes: readonly Envelope[]): Promise<void> {
    for (const { text, values } of this.stagingOf(envelopes).statements) {
      await manager.query(text, values);
    }
  }

  /** The same rows, as statements a unit of work sends with its commit. */
  stagingOf(envelopes: readonly Envelope[]): CommitStep {
    return {
      statements: envelopes.map((envelope) => ({
        text: STAGE,
        values: [envelope.id, envelope.type, envelope.key, JSON.stringify(envelope)],
        together: stagedTogether,
      })),
      // Nothing to refuse: a failed row is the database's error, as any query's.
      refusal: (failure) => Promise.resolve(failure),
    };
  }

  /** The latest message (of any topic) staged under each key; keys with none are left out. */
  async latestFor(keys: readonly string[]): Promise<Map<string, OutboxMessage>> {
    if (keys.length === 0) return new Map();
    const rows = await this.dataSource.query<OutboxMessage[]>(
      `SELECT DISTINCT ON (key) key, topic, published_at AS "publishedAt",
              extract(epoch FROM now() - created_at)::float8 * 1000 AS "stagedMsAgo",
              kafka_topic AS "kafkaTopic", kafka_partition AS partition, kafka_offset::float8 AS "offset"
         FROM outbox WHERE key = ANY($1)
        ORDER BY key, id DESC`,
      [keys],
    );
    return new Map(rows.map((row) => [row.key, row]));
  }

  /** Messages not yet published to Kafka (the relay's backlog). */
  async unpublished(): Promise<number> {
    const [{ waiting }] = await this.dataSource.query<{ waiting: number }[]>(
      `SELECT count(*)::int AS waiting FROM outbox WHERE published_at IS NULL`,
    );
    return waiting;
  }
}
