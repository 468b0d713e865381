import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Delivery } from './delivery';
import { Envelope } from './envelope';
import { InProcessServer } from './in-process.server';
import { OutboxRelay } from './outbox/outbox-relay';

export interface Outgoing {
  envelope: Envelope;
  delivery: Delivery;
}

/**
 * Delivers messages whose transaction has committed: in-process ones by running their
 * handlers now (sync mode waits for them); Kafka ones are already in the outbox, so the relay
 * is woken to publish them.
 */
@Injectable()
export class MessageBus {
  constructor(
    private readonly inProcess: InProcessServer,
    private readonly relay: OutboxRelay,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  assertKafka(): void {
    if (!this.config.kafka) {
      throw new Error('A message for Kafka, but Kafka is not configured: set KAFKA_BROKERS.');
    }
  }

  async deliver(outgoing: readonly Outgoing[]): Promise<void> {
    if (outgoing.some((o) => o.delivery === 'kafka')) this.relay.wake();
    for (const { envelope, delivery } of outgoing) {
      if (delivery === 'in-process') await this.inProcess.deliver(envelope);
    }
  }
}
