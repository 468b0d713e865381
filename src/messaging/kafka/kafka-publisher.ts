import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Partitioners, Producer } from 'kafkajs';
import { Counter } from 'prom-client';
import { Metrics } from '../../ops/metrics/metric-names';
import { Envelope } from '../envelope';
import { KafkaClients } from './kafka-clients';
import { KafkaTopics } from './kafka-topics';

/**
 * How long a publish may take before it is given up and its rows go back to the outbox: under
 * the relay's 30 s claim on them, so that no other relay publishes them meanwhile.
 */
const SEND_DEADLINE_MS = 20_000;

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

  /** Publishes envelopes, acknowledged within `withinMs` or failed. */
  async publish(envelopes: readonly Envelope[], withinMs = SEND_DEADLINE_MS): Promise<void> {
    const byTopic = new Map<string, Envelope[]>();
    for (const envelope of envelopes) {
      byTopic.set(envelope.type, [...(byTopic.get(envelope.type) ?? []), envelope]);
    }
    await this.sendWithin(withinMs, (producer) => this.send(producer, byTopic));
    for (const [topic, batch] of byTopic) this.produced.inc({ topic }, batch.length);
  }

  private async sendWithin(
    withinMs: number,
    send: (producer: Producer) => Promise<unknown>,
  ): Promise<void> {
    const deadline = Date.now() + withinMs;
    const producer = await within(this.connected(), withinMs, 'Kafka producer connection');
    const sending = send(producer);
    try {
      await within(sending, deadline - Date.now(), 'Kafka send');
    } catch (error) {
      // A failed send may have been written anyway; an idempotent producer that retries it
      // with rolled-back sequence numbers is refused for good. Start over with a new one.
      if (this.producer === producer) this.producer = null;
      // Not awaited: against a broker that hangs, kafkajs' disconnect waits for the request
      // under way (up to its 30 s requestTimeout). Nor can it cancel a send it still retries:
      // disconnected, the send reconnects, until the broker answers (its records are then
      // copies of rows the relay publishes again, which consumers drop) or refuses connections
      // for good. Once the send ends, its connections are closed too.
      void producer.disconnect().catch(() => undefined);
      void sending
        .catch(() => undefined)
        .then(() => producer.disconnect())
        .catch(() => undefined);
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
    await this.sendWithin(SEND_DEADLINE_MS, (producer) =>
      producer.send({ topic, acks: -1, messages: records }),
    );
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
        // What kafkajs' idempotence needs: one request in flight, and retries without end
        // (fewer, which the client-wide retry would give, make it warn that they "may invalidate
        // EoS guarantees": src/producer/index.js). `publish` bounds a send in time instead.
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: Number.MAX_SAFE_INTEGER },
        // murmur2 on the key, as the Java client: one order's messages share a partition.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      try {
        await producer.connect();
      } finally {
        this.connecting = null;
      }
      if (this.closed) {
        await producer.disconnect();
        throw new Error('Kafka producer closed: shutting down.');
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

/** `work`, or a failure naming `what` once `ms` have passed without an answer. */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${Math.round(ms)} ms`)),
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
