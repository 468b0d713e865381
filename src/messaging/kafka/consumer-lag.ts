import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Admin } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { Gauge } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Metrics } from '../../ops/metrics/metric-names';
import { KafkaClients } from './kafka-clients';
import { KafkaTopics } from './kafka-topics';

const EVERY_MS = 5000;

/** Measures, on workers, how far the consumer group trails each partition's end. */
@Injectable()
export class ConsumerLag implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private admin: Admin | null = null;
  private timer: NodeJS.Timeout | null = null;
  private measuring: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: KafkaClients,
    private readonly topics: KafkaTopics,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.consumerLag) private readonly lag: Gauge<'topic' | 'partition'>,
  ) {
    this.logger.setContext(ConsumerLag.name);
  }

  onApplicationBootstrap(): void {
    if (!this.config.kafka || !this.config.roles.worker) return;
    this.timer = setInterval(() => {
      // One measurement at a time: connecting can take longer than the interval.
      this.measuring ??= this.measure()
        .catch((error: unknown) => this.logger.debug({ error: String(error) }, 'lag unknown'))
        .finally(() => (this.measuring = null));
    }, EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.measuring;
    await this.admin?.disconnect();
    this.admin = null;
  }

  async measure(): Promise<void> {
    if (!this.admin) {
      const admin = this.clients.kafka().admin();
      await admin.connect();
      this.admin = admin;
    }
    for (const topic of this.topics.consumed()) {
      const name = this.topics.nameOf(topic);
      const ends = await this.admin.fetchTopicOffsets(name);
      const [committed] = await this.admin.fetchOffsets({
        groupId: this.topics.consumerGroup(),
        topics: [name],
      });
      for (const { partition, high, low } of ends) {
        const at = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
        const lag = Number(high) - Number(at === '-1' ? low : at);
        this.lag.set({ topic, partition: String(partition) }, Math.max(0, lag));
      }
    }
  }
}
