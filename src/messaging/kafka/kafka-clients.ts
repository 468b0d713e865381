import { Inject, Injectable } from '@nestjs/common';
import { Admin, Kafka, logLevel, LogEntry } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';

/**
 * How kafkajs retries a failed request or connection: soon, and never more than a second
 * apart, so a broker back from an outage is found within a second (a longer cap sleeps through
 * seconds of its return). About 3 s of tries in all; a consumer that exhausts them crashes and
 * is restarted (ConsumerSupervisor), a producer retries on.
 */
const RECONNECT = { retries: 5, initialRetryTime: 250, maxRetryTime: 1000 };

/** What kafkajs' internal cluster client offers that is used here (kafkajs/src/cluster). */
interface ClusterClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<{
    leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
  }>;
}

/**
 * The one place that builds kafkajs clients (kafkajs has had no release since 2.2.4; keeping it
 * behind this, the producer port and the transport makes a move to a compatible client small).
 */
@Injectable()
export class KafkaClients {
  private client: Kafka | null = null;
  private leaving: Kafka | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('kafkajs');
  }

  /** Options of a kafkajs client, for this module and for Nest's Kafka transport. */
  clientOptions(suffix: string) {
    const kafka = this.config.kafka;
    if (!kafka) throw new Error('Kafka is not configured: set KAFKA_BROKERS.');
    return {
      clientId: `${kafka.clientId}-${suffix}`,
      brokers: kafka.brokers,
      retry: RECONNECT,
      logCreator: () => (entry: LogEntry) => this.log(entry),
    };
  }

  kafka(): Kafka {
    this.client ??= new Kafka(this.clientOptions('app'));
    return this.client;
  }

  /**
   * An admin client that asks at most twice and tells its caller, which reports an unreachable
   * broker itself: its failures are logged at debug, not as errors every second.
   */
  probeAdmin(): Admin {
    return new Kafka({
      ...this.clientOptions('probe'),
      retry: { retries: 1, initialRetryTime: 100 },
      requestTimeout: 5000,
      logCreator: () => (entry: LogEntry) => this.log(entry, true),
    }).admin();
  }

  /**
   * Asks the group's coordinator to drop a member this instance no longer is (its consumer
   * crashed and joins again as a new one); true once it is gone. Without this, a group waits for
   * the old member until the rebalance timeout: after a broker restart, the broker still counts
   * the members it had. kafkajs has no API for it (no LeaveGroup in its admin client, no static
   * membership, KIP-345, that would let a consumer take its old place), so this borrows the
   * cluster client kafkajs builds for its own clients, through its private factory; were that
   * gone, this answers false and the group waits out the rebalance timeout.
   */
  async leaveGroup(groupId: string, memberId: string): Promise<boolean> {
    this.leaving ??= new Kafka({
      ...this.clientOptions('leave'),
      retry: { retries: 0 },
      logCreator: () => (entry: LogEntry) => this.log(entry, true),
    });
    const factory = Object.getOwnPropertySymbols(this.leaving).find(
      (symbol) => symbol.description === 'private:Kafka:createCluster',
    );
    if (!factory) return false;
    const kafka = this.leaving as unknown as Record<symbol, (options: object) => ClusterClient>;
    const cluster = kafka[factory]({});
    try {
      await cluster.connect();
      await cluster.refreshMetadata();
      const coordinator = await cluster.findGroupCoordinator({ groupId });
      await coordinator.leaveGroup({ groupId, memberId });
      return true;
    } catch (error) {
      // Already gone: kafkajs' own leave on the way out of its crash got through.
      const { type, cause } = error as { type?: string; cause?: { type?: string } };
      return (type ?? cause?.type) === 'UNKNOWN_MEMBER_ID';
    } finally {
      await cluster.disconnect().catch(() => undefined);
    }
  }

  private log({ level, log }: LogEntry, quiet = false): void {
    const { message, ...extra } = log;
    if (quiet || level >= logLevel.INFO) this.logger.debug(extra, message);
    else if (level === logLevel.ERROR) this.logger.error(extra, message);
    else this.logger.warn(extra, message);
  }
}
