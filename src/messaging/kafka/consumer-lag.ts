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
import { every, Repeating } from '../../runtime/every';
import { Metrics } from '../../runtime/metrics/metric-names';
import { KafkaClients } from './kafka-clients';
import { KafkaTopics } from './kafka-topics';

const EVERY_MS = 1000;
/** With no answer for this long, the brokers count as unreachable from this instance. */
const UNREACHABLE_AFTER_MS = 5000;

/** Where the workers' consumer group stands on one partition. */
export interface PartitionPosition {
  /** The first record still in the log: those before it were deleted (retention, or by hand). */
  logStart: number;
  /** The offset the next record written gets. */
  logEnd: number;
  /** The next record the group reads (its committed offset); null while it committed none. */
  committed: number | null;
}

/** Each partition's position, by topic as Kafka names it, as last measured; taken at `at`. */
export interface GroupPositions {
  at: Date;
  topics: Map<string, Map<number, PartitionPosition>>;
}

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
  private last: { lag: number; at: Date; positions: GroupPositions['topics'] } | null = null;
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

  /**
   * Where the group stood on each partition at the last measure, or null when that is not
   * fresh (Kafka does not answer this instance). A snapshot: what the group committed after it
   * is not in it.
   */
  positions(): GroupPositions | null {
    const last = this.last;
    if (!last || this.error !== null || Date.now() - last.at.getTime() >= UNREACHABLE_AFTER_MS) {
      return null;
    }
    return { at: last.at, topics: last.positions };
  }

  async measure(): Promise<void> {
    try {
      if (!this.admin) {
        const admin = this.clients.probeAdmin();
        await admin.connect();
        this.admin = admin;
      }
      let lag = 0;
      const positions = new Map<string, Map<number, PartitionPosition>>();
      // One request at a time: kafkajs' admin fails concurrent first requests while it fills
      // its broker pool ("No brokers in the broker pool").
      for (const topic of this.topics.consumed()) {
        const partitions = await this.positionsOf(topic);
        positions.set(this.topics.nameOf(topic), partitions);
        lag += this.measureLag(topic, partitions);
      }
      this.last = { lag, at: new Date(), positions };
      this.error = null;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      this.logger.debug({ error: this.error }, 'Kafka did not answer the lag probe');
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = null;
    }
  }

  private async positionsOf(topic: string): Promise<Map<number, PartitionPosition>> {
    const admin = this.admin!;
    const name = this.topics.nameOf(topic);
    const ends = await admin.fetchTopicOffsets(name);
    const [committed] = await admin.fetchOffsets({
      groupId: this.topics.consumerGroup(),
      topics: [name],
    });
    const positions = new Map<number, PartitionPosition>();
    for (const { partition, high, low } of ends) {
      const at = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
      positions.set(partition, {
        logStart: Number(low),
        logEnd: Number(high),
        committed: at === '-1' ? null : Number(at),
      });
    }
    return positions;
  }

  private measureLag(topic: string, positions: Map<number, PartitionPosition>): number {
    let total = 0;
    for (const [partition, { logStart, logEnd, committed }] of positions) {
      const lag = Math.max(0, logEnd - (committed ?? logStart));
      this.lag.set({ topic, partition: String(partition) }, lag);
      total += lag;
    }
    return total;
  }
}
