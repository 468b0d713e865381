import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Partitioners, Producer } from 'kafkajs';
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
  private closed = false;

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
    await this.sendWith(producer, () => this.send(producer, byTopic));
    for (const [topic, batch] of byTopic) this.produced.inc({ topic }, batch.length);
  }

  private async sendWith(producer: Producer, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      // A failed send may have been written anyway; an idempotent producer that retries it
      // with rolled-back sequence numbers is refused for good. Start over with a new one.
      if (this.producer === producer) this.producer = null;
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private async send(producer: Producer, byTopic: Map<string, Envelope[]>): Promise<void> {
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
  }

  /** Publishes raw records (dead letters) to an already-named Kafka topic. */
  async publishRaw(
    topic: string,
    records: { key: string; value: string; headers: Record<string, string> }[],
  ): Promise<void> {
    const producer = await this.connected();
    await this.sendWith(producer, () => producer.send({ topic, acks: -1, messages: records }));
  }

  isConnected(): boolean {
    return this.producer !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.producer?.disconnect();
    this.producer = null;
  }

  private connected(): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error('Kafka producer closed: shutting down.'));
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.clients.kafka().producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // murmur2 on the key, as the Java client: one order's messages share a partition.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
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
