import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig, KafkaConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Topics } from '../topics';
import { KafkaClients } from './kafka-clients';

/** How long a worker's boot waits for its topics; then it fails and is restarted. */
const WORKER_WAITS_MS = 30_000;
/** An API instance only publishes to the topics; it waits less and boots without them. */
const API_WAITS_MS = 10_000;
const FIRST_PAUSE_MS = 200;
const MAX_PAUSE_MS = 2_000;

/** Dead letters of a topic: records no retry could process, kept for humans (and replay). */
export const deadLettersOf = (topic: string): string => `${topic}.dlq`;

/**
 * Kafka topic names of the app's topics (under KAFKA_TOPIC_PREFIX, so several deployments can
 * share a cluster), and their creation at boot with the configured partitions and replication.
 */
@Injectable()
export class KafkaTopics implements OnModuleInit {
  private readonly kafka: KafkaConfig | null;
  private readonly worker: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clients: KafkaClients,
    private readonly logger: PinoLogger,
  ) {
    this.kafka = config.kafka;
    this.worker = config.roles.worker;
    this.logger.setContext(KafkaTopics.name);
  }

  /**
   * A worker cannot consume topics that do not exist, so it fails to boot without them; an
   * API instance keeps accepting orders into the outbox and leaves the topics to the workers.
   */
  async onModuleInit(): Promise<void> {
    try {
      await this.ensure(this.worker ? WORKER_WAITS_MS : API_WAITS_MS);
    } catch (error) {
      if (this.worker) throw error;
      this.logger.warn(
        { error: String(error) },
        'could not check Kafka topics; the outbox will wait',
      );
    }
  }

  /** The Kafka name of an app topic. */
  nameOf(topic: string): string {
    return `${this.kafka?.topicPrefix ?? ''}${topic}`;
  }

  /** The app topic of a Kafka topic name. */
  topicOf(kafkaTopic: string): string {
    return kafkaTopic.slice(this.kafka?.topicPrefix.length ?? 0);
  }

  /** The app topics its workers consume (each has a dead-letter topic beside it). */
  consumed(): string[] {
    return [Topics.paymentOrder, Topics.paymentResult];
  }

  consumerGroup(): string {
    return `${this.kafka?.topicPrefix ?? ''}peak-checkout-workers`;
  }

  /**
   * Creates the app's topics that do not exist yet (existing ones are left as they are) and
   * waits until every partition of each has a leader, trying again with a growing pause until
   * `withinMs` has passed. Instances booting together on a new broker see transient errors: a
   * topic another instance created a moment ago (TOPIC_ALREADY_EXISTS), one the controller
   * created but the broker does not know yet (UNKNOWN_TOPIC_OR_PARTITION, which kafkajs'
   * `waitForLeaders` does not wait out), a cluster whose other brokers have not registered.
   */
  async ensure(withinMs = WORKER_WAITS_MS): Promise<void> {
    if (!this.kafka) return;
    const wanted = this.consumed()
      .flatMap((topic) => [topic, deadLettersOf(topic)])
      .map((topic) => this.nameOf(topic));
    const deadline = Date.now() + withinMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.createAndVerify(wanted);
        return;
      } catch (error) {
        const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (attempt - 1));
        if (Date.now() + pause > deadline) {
          throw new Error(
            `Kafka topics ${wanted.join(', ')} are not ready after ${attempt} attempts in ` +
              `${withinMs} ms: ${String(error)}. Check that the brokers in KAFKA_BROKERS are up.`,
          );
        }
        this.logger.info({ attempt, error: String(error) }, 'Kafka topics not ready; trying again');
        await sleep(pause);
      }
    }
  }

  private async createAndVerify(wanted: string[]): Promise<void> {
    const { partitions, replicationFactor, minInsyncReplicas } = this.kafka!;
    const admin = this.clients.kafka().admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        // False when another instance created them all first: their leaders are checked below.
        const created = await admin.createTopics({
          waitForLeaders: false,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: partitions,
            replicationFactor,
            configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
          })),
        });
        if (created) {
          this.logger.info(
            { topics: missing, partitions, replicationFactor },
            'created Kafka topics',
          );
        }
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: wanted });
      const leaderless = topics.flatMap(({ name, partitions }) =>
        partitions.length === 0
          ? [`${name} (no partitions)`]
          : partitions.filter((p) => p.leader < 0).map((p) => `${name}/${p.partitionId}`),
      );
      if (leaderless.length > 0) throw new Error(`no leader yet: ${leaderless.join(', ')}`);
    } finally {
      await admin.disconnect();
    }
  }
}
