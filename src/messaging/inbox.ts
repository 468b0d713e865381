import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * Remembers which consumer has handled which message, inside the consumer's own transaction,
 * so a message delivered twice has its effects once.
 */
@Injectable()
export class Inbox {
  /** True the first time `consumer` claims `messageId`; false for a duplicate delivery. */
  async claim(manager: EntityManager, consumer: string, messageId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)
       ON CONFLICT DO NOTHING RETURNING message_id`,
      [consumer, messageId],
    );
    return rows.length === 1;
  }
}
