import { Inject, Injectable } from '@nestjs/common';
import { Kafka, logLevel, LogEntry } from 'kafkajs';
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

  private log({ level, log }: LogEntry): void {
    const { message, ...extra } = log;
    if (level === logLevel.ERROR) this.logger.error(extra, message);
    else if (level === logLevel.WARN) this.logger.warn(extra, message);
    else if (level === logLevel.INFO) this.logger.debug(extra, message);
  }
}
