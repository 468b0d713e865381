import { Global, Module } from '@nestjs/common';
import { InProcessServer } from './in-process.server';
import { DeadLetters } from './dead-letters/dead-letters';
import { Inbox } from './inbox';
import { Backpressure } from './kafka/backpressure';
import { ConsumerLag } from './kafka/consumer-lag';
import { GatewayPace } from './kafka/gateway-pace';
import { KafkaClients } from './kafka/kafka-clients';
import { KafkaPublisher } from './kafka/kafka-publisher';
import { KafkaTopics } from './kafka/kafka-topics';
import { KafkaTransport } from './kafka/kafka.transport';
import { MessageBus } from './message-bus';
import { MessageStandings } from './message-standings';
import { MessageRetention } from './message-retention';
import { Outbox } from './outbox/outbox';
import { OutboxRelay } from './outbox/outbox-relay';
import { UnitOfWork } from './unit-of-work';

/**
 * The transports (in-process, Kafka), the outbox and its relay, de-duplication, and the
 * backpressure that paces a worker's consumption (its permits, the gateway's adaptive limit).
 */
@Global()
@Module({
  providers: [
    InProcessServer,
    MessageBus,
    UnitOfWork,
    Inbox,
    Outbox,
    OutboxRelay,
    MessageRetention,
    KafkaClients,
    KafkaTopics,
    KafkaPublisher,
    ConsumerLag,
    KafkaTransport,
    DeadLetters,
    MessageStandings,
    GatewayPace,
    Backpressure,
  ],
  exports: [
    GatewayPace,
    Backpressure,
    InProcessServer,
    KafkaTransport,
    UnitOfWork,
    Inbox,
    MessageRetention,
    KafkaPublisher,
    DeadLetters,
    Outbox,
    ConsumerLag,
    MessageStandings,
  ],
})
export class MessagingModule {}
