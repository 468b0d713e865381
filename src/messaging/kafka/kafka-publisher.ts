import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Producer } from 'kafkajs';
import { Counter } from 'prom-client';
import { Metrics } from '../../ops/metrics/metric-names';
import { Envelope } from '../envelope';
import { KafkaClients } from './kafka-clients';
import { KafkaTopics } from './kafka-topics';

/**
 * Publishes envelopes to Kafka, acknowledged by all in-sync replicas, keyed by order id (so one
 * order's messages share a partition). The idempotent producer keeps its own retries from
 * duplicating records; exactly-once effects come from the outbox and consumer de-duplication.
 */
@Injectable()
export class KafkaPublisher implements OnApplicationShutdown {
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;

  constructor(
    private readonly clients: KafkaClients,
    private readonly topics: KafkaTopics,
    @InjectMetric(Metrics.messagesProduced) private readonly produced: Counter<'topic'>,
  ) {}

  async publish(envelopes: readonly Envelope[]): Promise<void> {
    const producer = await this.connected();
    const byTopic = new Map<string, Envelope[]>();
    for (const envelope of envelopes) {
      byTopic.set(envelope.type, [...(byTopic.get(envelope.type) ?? []), envelope]);
    }
    await producer.sendBatch({
      acks: -1,
      timeout: 10_000,
      topicMessages: [...byTopic].map(([topic, batch]) => ({
        topic: this.topics.nameOf(topic),
        messages: batch.map((envelope) => ({
          key: envelope.key,
          value: JSON.stringify(envelope),
          headers: { 'message-id': envelope.id, 'trace-id': envelope.traceId },
        })),
      })),
    });
    for (const [topic, batch] of byTopic) this.produced.inc({ topic }, batch.length);
  }

  /** Publishes raw records (dead letters) to an already-named Kafka topic. */
  async publishRaw(
    topic: string,
    records: { key: string; value: string; headers: Record<string, string> }[],
  ): Promise<void> {
    const producer = await this.connected();
    await producer.send({ topic, acks: -1, messages: records });
  }

  isConnected(): boolean {
    return this.producer !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = null;
  }

  private connected(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.clients.kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
      try {
        await producer.connect();
      } finally {
        this.connecting = null;
      }
      producer.on(producer.events.DISCONNECT, () => {
        if (this.producer === producer) this.producer = null;
      });
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }
}
