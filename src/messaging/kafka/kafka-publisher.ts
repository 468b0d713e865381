import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ROOT_CONTEXT, Span, trace } from '@opentelemetry/api';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Message, Partitioners, Producer, RecordMetadata } from 'kafkajs';
import { Counter } from 'prom-client';
import { Metrics } from '../../runtime/metrics/metric-names';
import { Envelope } from '../envelope';
import { withTraceHeaders } from '../../runtime/tracing/trace-context';
import { endFailed, endLanded, publishSpanOf } from './publish-span';
import { KafkaClients } from './kafka-clients';
import { KafkaTopics } from './kafka-topics';

/**
 * How long a publish may take before it is given up and its rows go back to the outbox: under
 * the relay's 30 s claim on them, so that no other relay publishes them meanwhile.
 */
const SEND_DEADLINE_MS = 20_000;

/** Where one published message landed, as the broker acknowledged it. */
export interface Landing {
  /** The topic as Kafka names it (with KAFKA_TOPIC_PREFIX). */
  topic: string;
  partition: number;
  offset: string;
}

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
  /** The partition each message was sent to, as the partitioner chose it. */
  private readonly partitionOf = new WeakMap<Message, number>();

  constructor(
    private readonly clients: KafkaClients,
    private readonly topics: KafkaTopics,
    @InjectMetric(Metrics.messagesProduced) private readonly produced: Counter<'topic'>,
  ) {}

  /**
   * Publishes envelopes, acknowledged within `withinMs` or failed; returns where each landed
   * (in the order given; null when the broker's answer did not say).
   */
  async publish(
    envelopes: readonly Envelope[],
    withinMs = SEND_DEADLINE_MS,
  ): Promise<(Landing | null)[]> {
    const byTopic = new Map<string, Message[]>();
    const spans: Span[] = [];
    const messages = envelopes.map((envelope) => {
      const span = publishSpanOf(envelope, this.topics.nameOf(envelope.type));
      spans.push(span);
      const message: Message = {
        key: envelope.key,
        value: JSON.stringify(envelope),
        headers: withTraceHeaders({ 'message-id': envelope.id }, trace.setSpan(ROOT_CONTEXT, span)),
      };
      byTopic.set(envelope.type, [...(byTopic.get(envelope.type) ?? []), message]);
      return message;
    });
    let acknowledged: RecordMetadata[];
    try {
      acknowledged = await this.sendWithin(withinMs, (producer) => this.send(producer, byTopic));
    } catch (error) {
      for (const span of spans) endFailed(span, error);
      throw error;
    }
    for (const [topic, batch] of byTopic) this.produced.inc({ topic }, batch.length);
    const landings = this.landings(byTopic, messages, acknowledged);
    spans.forEach((span, index) => endLanded(span, landings[index]));
    return landings;
  }

  /**
   * A partition's messages of one request are appended in the order sent, from the base
   * offset the broker acknowledges for it (Kafka's produce protocol).
   */
  private landings(
    byTopic: Map<string, Message[]>,
    messages: Message[],
    acknowledged: RecordMetadata[],
  ): (Landing | null)[] {
    const landed = new Map<Message, Landing>();
    for (const [appTopic, batch] of byTopic) {
      const topic = this.topics.nameOf(appTopic);
      const next = new Map<number, bigint>();
      for (const { topicName, partition, baseOffset } of acknowledged) {
        if (topicName === topic && baseOffset !== undefined) {
          next.set(partition, BigInt(baseOffset));
        }
      }
      for (const message of batch) {
        const partition = this.partitionOf.get(message);
        const offset = partition === undefined ? undefined : next.get(partition);
        if (partition === undefined || offset === undefined) continue;
        landed.set(message, { topic, partition, offset: offset.toString() });
        next.set(partition, offset + 1n);
      }
    }
    return messages.map((message) => landed.get(message) ?? null);
  }

  private async sendWithin<T>(
    withinMs: number,
    send: (producer: Producer) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + withinMs;
    const producer = await within(this.connected(), withinMs, 'Kafka producer connection');
    const sending = send(producer);
    try {
      return await within(sending, deadline - Date.now(), 'Kafka send');
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

  private send(producer: Producer, byTopic: Map<string, Message[]>): Promise<RecordMetadata[]> {
    return producer.sendBatch({
      acks: -1,
      timeout: 10_000,
      topicMessages: [...byTopic].map(([topic, messages]) => ({
        topic: this.topics.nameOf(topic),
        messages,
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
        // murmur2 on the key, as the Java client: one order's messages share a partition. Each
        // message's partition is noted, to tell where it landed.
        createPartitioner: () => {
          const partitioner = Partitioners.DefaultPartitioner();
          return (args) => {
            const partition = partitioner(args);
            this.partitionOf.set(args.message, partition);
            return partition;
          };
        },
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
