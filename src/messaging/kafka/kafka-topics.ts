import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig, KafkaConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Topics } from '../topics';
import { KafkaClients } from './kafka-clients';

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
      await this.ensure();
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

  /** Creates the app's topics that do not exist yet; existing ones are left as they are. */
  async ensure(): Promise<void> {
    if (!this.kafka) return;
    const { partitions, replicationFactor, minInsyncReplicas } = this.kafka;
    const wanted = this.consumed()
      .flatMap((topic) => [topic, deadLettersOf(topic)])
      .map((topic) => this.nameOf(topic));
    const admin = this.clients.kafka().admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
        })),
      });
      this.logger.info({ topics: missing, partitions, replicationFactor }, 'created Kafka topics');
    } finally {
      await admin.disconnect();
    }
  }
}
