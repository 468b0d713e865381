import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Envelope } from '../envelope';

/** Writes messages for Kafka into the outbox, inside the transaction that produced them. */
@Injectable()
export class Outbox {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async stage(manager: EntityManager, envelopes: readonly Envelope[]): Promise<void> {
    for (const envelope of envelopes) {
      await manager.query(
        `INSERT INTO outbox (message_id, topic, key, envelope) VALUES ($1, $2, $3, $4::jsonb)`,
        [envelope.id, envelope.type, envelope.key, JSON.stringify(envelope)],
      );
    }
  }

  /** Messages not yet published to Kafka (the relay's backlog). */
  async unpublished(): Promise<number> {
    const [{ waiting }] = await this.dataSource.query<{ waiting: number }[]>(
      `SELECT count(*)::int AS waiting FROM outbox WHERE published_at IS NULL`,
    );
    return waiting;
  }
}
