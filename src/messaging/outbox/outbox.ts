import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Envelope } from '../envelope';

/** Writes messages for Kafka into the outbox, inside the transaction that produced them. */
@Injectable()
export class Outbox {
  async stage(manager: EntityManager, envelopes: readonly Envelope[]): Promise<void> {
    for (const envelope of envelopes) {
      await manager.query(
        `INSERT INTO outbox (message_id, topic, key, envelope) VALUES ($1, $2, $3, $4::jsonb)`,
        [envelope.id, envelope.type, envelope.key, JSON.stringify(envelope)],
      );
    }
  }
}
