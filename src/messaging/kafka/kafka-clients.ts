import { Inject, Injectable } from '@nestjs/common';
import { Admin, Kafka, logLevel, LogEntry } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';

/**
 * The one place that builds kafkajs clients (kafkajs has had no release since 2.2.4; keeping it
 * behind this, the producer port and the transport makes a move to a compatible client small).
 */
@Injectable()
export class KafkaClients {
  private client: Kafka | null = null;

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
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
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

  private log({ level, log }: LogEntry, quiet = false): void {
    const { message, ...extra } = log;
    if (quiet || level >= logLevel.INFO) this.logger.debug(extra, message);
    else if (level === logLevel.ERROR) this.logger.error(extra, message);
    else this.logger.warn(extra, message);
  }
}
