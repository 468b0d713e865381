import { Inject, Injectable } from '@nestjs/common';
import { KafkaContext, ServerKafka } from '@nestjs/microservices';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Consumer, EachMessagePayload, Partitioners } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter } from 'prom-client';
import { AppConfig, KafkaConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Metrics } from '../../ops/metrics/metric-names';
import { deliverToHandlers } from '../deliver-to-handlers';
import { Envelope, envelopeSchema } from '../envelope';
import { InvalidMessageError } from '../invalid-message.error';
import { runWithTrace } from '../trace-context';
import { KafkaClients } from './kafka-clients';
import { KafkaPublisher } from './kafka-publisher';
import { deadLettersOf, KafkaTopics } from './kafka-topics';

/** What health and operators see of the consumer: its own state, not a probe's. */
export interface ConsumerState {
  status: 'starting' | 'connected' | 'rebalancing' | 'disconnected' | 'stopped' | 'crashed';
  lastHeartbeatAt: Date | null;
  assignedPartitions: number;
}

/**
 * The transport of async mode: Nest's Kafka server, extended where it cannot do what is
 * needed. It consumes with auto-commit off and commits a record's offset (+1, the next to
 * read) only after its handlers' transactions have committed; a handler that keeps failing is
 * retried a bounded number of times, then its record goes to the topic's dead letters and the
 * partition moves on (Nest's own loop would retry it forever and block the partition).
 */
@Injectable()
export class KafkaTransport extends ServerKafka {
  private readonly settings: KafkaConfig | null;
  private state: ConsumerState = {
    status: 'starting',
    lastHeartbeatAt: null,
    assignedPartitions: 0,
  };

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    clients: KafkaClients,
    private readonly topics: KafkaTopics,
    private readonly publisher: KafkaPublisher,
    private readonly log: PinoLogger,
    @InjectMetric(Metrics.messagesConsumed) private readonly consumed: Counter<'topic' | 'result'>,
  ) {
    // Without KAFKA_BROKERS the transport exists but is never connected (see bootstrap).
    super({
      client: config.kafka ? clients.clientOptions('worker') : { brokers: [] },
      consumer: {
        groupId: topics.consumerGroup(),
        sessionTimeout: 30_000,
        heartbeatInterval: 3_000,
      },
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
      postfixId: '',
    });
    this.settings = config.kafka;
    this.log.setContext(KafkaTransport.name);
  }

  consumerState(): ConsumerState {
    return { ...this.state };
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    this.watch(consumer);
    const topics = [...this.messageHandlers.keys()].map((topic) => this.topics.nameOf(topic));
    // A new group starts at the earliest record: messages published before the first worker
    // joined are not skipped.
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.settings?.partitionsConcurrently ?? 1,
      eachMessage: (payload) => this.consume(consumer, payload),
    });
  }

  private async consume(consumer: Consumer, payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    const pattern = this.topics.topicOf(topic);
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(message.value);
    } catch (error) {
      await this.deadLetter(topic, message, error, 0, null);
      this.consumed.inc({ topic: pattern, result: 'dead_lettered' });
      return this.commit(consumer, topic, partition, message.offset);
    }
    const context = new KafkaContext([
      message,
      partition,
      topic,
      consumer,
      heartbeat,
      this.producer!,
    ]);
    const maxAttempts = this.settings?.handlerAttempts ?? 1;
    let failure: unknown = null;
    let attempts = 0;
    let handled = true;
    for (attempts = 1; attempts <= maxAttempts; attempts++) {
      try {
        handled = await deliverToHandlers(this, pattern, envelope, context, 'kafka');
        failure = null;
        break;
      } catch (error) {
        failure = error;
        if (error instanceof InvalidMessageError) break;
        this.log.warn(
          { orderId: envelope.key, topic: pattern, attempt: attempts, error: String(error) },
          'handler failed',
        );
      }
      if (attempts < maxAttempts) {
        // Outside the handler's failure path: a heartbeat refused for a rebalance leaves the
        // record uncommitted for its next owner, rather than dead-lettering it.
        await heartbeat();
        await sleep(200 * 2 ** attempts);
      }
    }
    if (failure) await this.deadLetter(topic, message, failure, attempts, envelope);
    const result = failure ? 'dead_lettered' : handled ? 'ok' : 'no_handler';
    this.consumed.inc({ topic: pattern, result });
    await this.commit(consumer, topic, partition, message.offset);
  }

  private async deadLetter(
    topic: string,
    message: EachMessagePayload['message'],
    error: unknown,
    attempts: number,
    envelope: Envelope | null,
  ): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    await runWithTrace(envelope?.traceId ?? 'none', async () => {
      this.log.error(
        { orderId: envelope?.key, topic, attempts, error: reason },
        'record dead-lettered',
      );
      await this.publisher.publishRaw(deadLettersOf(topic), [
        {
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: { error: reason, attempts: String(attempts), 'original-offset': message.offset },
        },
      ]);
    });
  }

  private async commit(consumer: Consumer, topic: string, partition: number, offset: string) {
    try {
      await consumer.commitOffsets([
        { topic, partition, offset: (BigInt(offset) + 1n).toString() },
      ]);
    } catch (error) {
      // A commit lost to a rebalance only means the record may come again: consumers are
      // idempotent, so that is safe.
      this.log.warn({ topic, partition, offset, error: String(error) }, 'offset commit failed');
    }
  }

  private watch(consumer: Consumer): void {
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, ({ payload }) => {
      const assigned = Object.values(payload.memberAssignment).reduce((n, p) => n + p.length, 0);
      this.state = { ...this.state, status: 'connected', assignedPartitions: assigned };
      this.log.info({ assigned: payload.memberAssignment }, 'joined consumer group');
    });
    consumer.on(events.HEARTBEAT, () => {
      this.state = { ...this.state, lastHeartbeatAt: new Date() };
    });
    consumer.on(events.REBALANCING, () => {
      this.state = { ...this.state, status: 'rebalancing' };
    });
    consumer.on(events.DISCONNECT, () => {
      this.state = { ...this.state, status: 'disconnected' };
    });
    consumer.on(events.STOP, () => {
      this.state = { ...this.state, status: 'stopped' };
    });
    consumer.on(events.CRASH, ({ payload }) => {
      this.state = { ...this.state, status: payload.restart ? 'rebalancing' : 'crashed' };
      this.log.error(
        { error: String(payload.error), restart: payload.restart },
        'consumer crashed',
      );
    });
  }
}

function parseEnvelope(value: Buffer | null): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString() ?? '');
  } catch {
    throw new InvalidMessageError('kafka', ['the record is not JSON']);
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidMessageError(
      'kafka',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  }
  return parsed.data as Envelope;
}
