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
import { every, Repeating } from '../../ops/every';
import { Metrics } from '../../ops/metrics/metric-names';
import { KafkaClients } from './kafka-clients';
import { KafkaTopics } from './kafka-topics';

const EVERY_MS = 1000;
/** With no answer for this long, the brokers count as unreachable from this instance. */
const UNREACHABLE_AFTER_MS = 5000;

/** What this instance last learnt of Kafka: whether it answers, and the workers' lag. */
export interface KafkaReading {
  reachable: boolean;
  /** Records of the app's topics not yet committed by the workers; null when not known. */
  consumerLag: number | null;
  checkedAt: Date | null;
  error: string | null;
}

/**
 * Measures, every second on every instance with Kafka, how far the workers' consumer group
 * trails each partition's end. Doubles as the console's probe of whether Kafka answers.
 */
@Injectable()
export class ConsumerLag implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private admin: Admin | null = null;
  private measuring: Repeating | null = null;
  private last: { lag: number; at: Date } | null = null;
  private error: string | null = null;

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
    if (!this.config.kafka) return;
    // measure() reports its own failures, as an unreachable Kafka.
    this.measuring = every(
      EVERY_MS,
      () => this.measure(),
      () => undefined,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.measuring?.stop();
    await this.admin?.disconnect();
    this.admin = null;
  }

  reading(): KafkaReading {
    const checkedAt = this.last?.at ?? null;
    const fresh = checkedAt !== null && Date.now() - checkedAt.getTime() < UNREACHABLE_AFTER_MS;
    return {
      reachable: fresh && this.error === null,
      consumerLag: fresh ? (this.last?.lag ?? null) : null,
      checkedAt,
      error: fresh ? this.error : (this.error ?? 'no answer from Kafka yet'),
    };
  }

  async measure(): Promise<void> {
    try {
      if (!this.admin) {
        const admin = this.clients.probeAdmin();
        await admin.connect();
        this.admin = admin;
      }
      let lag = 0;
      // One request at a time: kafkajs' admin fails concurrent first requests while it fills
      // its broker pool ("No brokers in the broker pool").
      for (const topic of this.topics.consumed()) lag += await this.lagOf(topic);
      this.last = { lag, at: new Date() };
      this.error = null;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      this.logger.debug({ error: this.error }, 'Kafka did not answer the lag probe');
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = null;
    }
  }

  private async lagOf(topic: string): Promise<number> {
    const admin = this.admin!;
    const name = this.topics.nameOf(topic);
    const ends = await admin.fetchTopicOffsets(name);
    const [committed] = await admin.fetchOffsets({
      groupId: this.topics.consumerGroup(),
      topics: [name],
    });
    let total = 0;
    for (const { partition, high, low } of ends) {
      const at = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
      const lag = Math.max(0, Number(high) - Number(at === '-1' ? low : at));
      this.lag.set({ topic, partition: String(partition) }, lag);
      total += lag;
    }
    return total;
  }
}
