import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { KafkaContext, ServerKafka } from '@nestjs/microservices';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { SpanKind } from '@opentelemetry/api';
import { Consumer, KafkaMessage, Partitioners } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, Gauge, Histogram } from 'prom-client';
import { AppConfig, KafkaConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Backpressure } from './backpressure';
import { Metrics } from '../../runtime/metrics/metric-names';
import { deliverToHandlers } from '../deliver-to-handlers';
import { Envelope, parseEnvelope } from '../envelope';
import { InvalidMessageError } from '../invalid-message.error';
import { contextOf, withTraceHeaders } from '../../runtime/tracing/trace-context';
import { inSpan, spanBetween } from '../../runtime/tracing/in-span';
import { ShutdownDeadline } from '../../runtime/shutdown-deadline';
import { DeadLetters } from '../dead-letters/dead-letters';
import { OutboxRelay } from '../outbox/outbox-relay';
import { ConsumerState, ConsumerSupervisor, STARTING } from './consumer-supervisor';
import { KafkaClients } from './kafka-clients';
import { KafkaPublisher } from './kafka-publisher';
import { deadLettersOf, KafkaTopics } from './kafka-topics';
import { DispatcherHooks, RecordDispatcher, TakenRecord } from './record-dispatcher';

/**
 * The transport of async mode: Nest's Kafka server, extended where it cannot do what is
 * needed. Its consumer feeds batches to a RecordDispatcher (records of different orders in
 * parallel under the backpressure permits, offsets committed as a contiguous watermark only
 * after the records' transactions committed), pauses and drains on shutdown; a handler that
 * keeps failing is retried a bounded number of times, then its record goes to the topic's
 * dead letters and the partition moves on (Nest's own loop retries forever, one record per
 * partition at a time, and commits before the work is done).
 */
@Injectable()
export class KafkaTransport extends ServerKafka implements BeforeApplicationShutdown {
  private readonly settings: KafkaConfig | null;
  private dispatcher: RecordDispatcher | null = null;
  private supervisor: ConsumerSupervisor | null = null;
  private subscribed: string[] = [];
  private draining: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clients: KafkaClients,
    private readonly topics: KafkaTopics,
    private readonly publisher: KafkaPublisher,
    private readonly relay: OutboxRelay,
    private readonly deadLetters: DeadLetters,
    private readonly log: PinoLogger,
    private readonly backpressure: Backpressure,
    private readonly deadline: ShutdownDeadline,
    @InjectMetric(Metrics.messagesConsumed) private readonly consumed: Counter<'topic' | 'result'>,
    @InjectMetric(Metrics.permitsInUse) private readonly permitsInUse: Gauge<'topic'>,
    @InjectMetric(Metrics.pausedPartitions) private readonly pausedPartitions: Gauge<'topic'>,
    @InjectMetric(Metrics.permitWaitSeconds) private readonly permitWait: Histogram<'topic'>,
    @InjectMetric(Metrics.partitionsConsumed) private readonly partitionsConsumed: Gauge,
  ) {
    // Without KAFKA_BROKERS the transport exists but is never connected (see bootstrap).
    super({
      client: config.kafka ? clients.clientOptions('worker') : { brokers: [] },
      consumer: {
        groupId: topics.consumerGroup(),
        // Fast failover (docs/runbook.md, "Failover"): a killed worker's partitions move after its
        // session; a rebalance waits for members that will not come back (a killed worker's, or
        // the old members a restarted broker remembers) only as long as the rebalance timeout.
        sessionTimeout: config.kafka?.sessionTimeoutMs,
        heartbeatInterval: config.kafka?.heartbeatIntervalMs,
        rebalanceTimeout: config.kafka?.rebalanceTimeoutMs,
        retry: { restartOnFailure: ConsumerSupervisor.restartOnFailure },
        // What a paused partition holds in memory until permits free (the records of its batch
        // not taken): kafkajs' 1 MB default is ~1500 records a partition. Not far below a relay's
        // batch of 100 messages, though: a record batch larger than this comes whole only for the
        // first partition of a fetch.
        maxBytesPerPartition: config.kafka?.maxBytesPerPartition ?? 65_536,
        // kafkajs stops a consumer only once its fetch under way returns, and a fetch with
        // nothing to return (an idle worker's, or a paused one's sleep) lasts this long
        // (kafkajs' default: 5 s, which a shutdown would wait). 500 ms is the Java consumer's
        // fetch.max.wait.ms; a fetch that finds records returns at once either way.
        maxWaitTimeInMs: 500,
      },
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
      postfixId: '',
    });
    this.settings = config.kafka;
    this.log.setContext(KafkaTransport.name);
  }

  consumerState(): ConsumerState {
    return this.supervisor?.state() ?? { ...STARTING };
  }

  /** Subscribes and starts consuming; returns before the consumer has joined its group. */
  override async bindEvents(consumer: Consumer): Promise<void> {
    this.subscribed = [...this.messageHandlers.keys()].map((topic) => this.topics.nameOf(topic));
    const dispatcher = new RecordDispatcher(consumer, this.dispatcherHooks());
    this.dispatcher = dispatcher;
    this.supervisor = new ConsumerSupervisor(consumer, {
      onConsumingChanged: (partitions) => this.partitionsConsumed.set(partitions),
      onJoined: (assignment) => {
        dispatcher.onRebalance();
        this.log.info({ assigned: assignment }, 'joined consumer group');
      },
      onAssignmentEnding: () => dispatcher.onAssignmentEnding(),
      leaveGroup: async (groupId, memberId) => {
        const gone = await this.clients.leaveGroup(groupId, memberId);
        if (gone)
          this.log.info({ memberId }, 'its member from before the crash has left the group');
        return gone;
      },
      onCrashed: (error, restartInMs) =>
        this.log.error({ error: String(error), restartInMs }, 'consumer crashed; restarting it'),
      onUnrecoverable: (error) =>
        this.log.error({ error: String(error) }, 'consumer could not be started again'),
    });
    // A new group starts at the earliest record: messages published before the first worker
    // joined are not skipped.
    await consumer.subscribe({ topics: this.subscribed, fromBeginning: true });
    this.supervisor.start(() =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.settings?.partitionsConcurrently ?? 1,
        eachBatch: (payload) => dispatcher.onBatch(payload),
      }),
    );
  }

  /**
   * Stops taking records, lets those running finish until the shutdown's deadline
   * (SHUTDOWN_GRACE_MS) and commits them, and publishes the results they produced; the
   * consumer then leaves its group when Nest closes the transport.
   */
  drain(): Promise<void> {
    this.draining ??= this.drainOnce();
    return this.draining;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /**
   * Leaves the group and disconnects, waited for until the shutdown's deadline only: kafkajs'
   * disconnect waits for the requests in flight, and during a rebalance the broker holds a
   * JoinGroup up to the group's rebalance timeout (seen after a broker restart).
   */
  override async close(): Promise<void> {
    this.supervisor?.stop();
    if (!(await this.deadline.waitFor(super.close()))) {
      this.log.warn(
        'consumer not disconnected by the shutdown deadline; its group will time it out',
      );
    }
  }

  private async drainOnce(): Promise<void> {
    this.supervisor?.stop();
    if (!this.dispatcher) return;
    const inFlight = this.dispatcher.inFlight();
    this.log.info({ inFlight }, 'draining: no new records; waiting for those running');
    const { finished, handedBack } = await this.dispatcher.drain(this.subscribed, (work) =>
      this.deadline.waitFor(work),
    );
    await this.relay.flush();
    this.log.info({ finished, handedBack }, 'drained');
  }

  private dispatcherHooks(): DispatcherHooks {
    return {
      permitsFor: (topic) => this.backpressure.permitsFor(this.topics.topicOf(topic)),
      process: (record) => this.process(record),
      onPermitsChanged: (topic, permits) =>
        this.permitsInUse.set({ topic: this.topics.topicOf(topic) }, permits.inUse()),
      onPausedChanged: (topic, paused) =>
        this.pausedPartitions.set({ topic: this.topics.topicOf(topic) }, paused),
      onWaited: (topic, seconds) =>
        this.permitWait.observe({ topic: this.topics.topicOf(topic) }, seconds),
      onCommitFailed: (error) => this.log.warn({ error: String(error) }, 'offset commit failed'),
      onProcessFailed: ({ topic, partition, message }, error) =>
        this.log.error(
          { topic, partition, offset: message.offset, error: String(error) },
          'record could not be handled nor dead-lettered; trying again',
        ),
    };
  }

  /**
   * Runs a record in a consumer span of the trace its `traceparent` header continues, from the
   * moment it waited for a permit (a span of its own) to its end.
   *
   * Not @opentelemetry/instrumentation-kafkajs: it ends a batch's spans when eachBatch returns,
   * which the dispatcher does at once while the records run on under their permits.
   */
  private process(record: TakenRecord): Promise<void> {
    const { topic, partition, message, heldSince, tookPermitAt } = record;
    const parent = contextOf(message.headers);
    const options = {
      kind: SpanKind.CONSUMER,
      startTime: heldSince ?? tookPermitAt,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': Number(message.offset),
        'messaging.kafka.message.key': message.key?.toString(),
      },
    };
    return inSpan(
      `process ${this.topics.topicOf(topic)}`,
      options,
      async () => {
        spanBetween('wait for permit', heldSince ?? tookPermitAt, tookPermitAt);
        await this.handle(record);
      },
      parent,
    );
  }

  /**
   * Runs a record's handlers, retrying a failure a bounded number of times with exponential
   * backoff (the record holds its permit, nothing else waits), then dead-letters it.
   */
  private async handle({ topic, partition, message }: TakenRecord): Promise<void> {
    const pattern = this.topics.topicOf(topic);
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(message.value?.toString() ?? '', 'kafka');
    } catch (error) {
      await this.deadLetter(topic, partition, message, error, 0, null);
      this.consumed.inc({ topic: pattern, result: 'dead_lettered' });
      return;
    }
    const context = new KafkaContext([
      message,
      partition,
      topic,
      this.consumer!,
      () => Promise.resolve(),
      this.producer!,
    ]);
    const maxAttempts = this.settings?.handlerAttempts ?? 1;
    let failure: unknown = null;
    let attempts = 0;
    let handled = true;
    while (attempts < maxAttempts) {
      attempts += 1;
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
      if (attempts < maxAttempts) await sleep(200 * 2 ** attempts);
    }
    // Past a drain's grace the database may already be closing under the record: hand it
    // back to the partition's next owner rather than dead-letter a good message.
    if (failure && this.draining) throw failure as Error;
    if (failure) await this.deadLetter(topic, partition, message, failure, attempts, envelope);
    const result = failure ? 'dead_lettered' : handled ? 'ok' : 'no_handler';
    this.consumed.inc({ topic: pattern, result });
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: unknown,
    attempts: number,
    envelope: Envelope | null,
  ): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const key = message.key?.toString() ?? '';
    const value = message.value?.toString() ?? '';
    this.log.error(
      { orderId: envelope?.key, topic, attempts, error: reason },
      'record dead-lettered',
    );
    await this.publisher.publishRaw(deadLettersOf(topic), [
      {
        key,
        value,
        headers: withTraceHeaders({
          error: reason,
          attempts: String(attempts),
          'original-partition': String(partition),
          'original-offset': message.offset,
        }),
      },
    ]);
    await this.deadLetters.keep({
      kafkaTopic: topic,
      partition,
      offset: message.offset,
      key,
      value,
      error: reason,
      attempts,
    });
  }
}
