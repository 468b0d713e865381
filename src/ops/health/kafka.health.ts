import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { KafkaPublisher } from '../../messaging/kafka/kafka-publisher';
import { KafkaTransport } from '../../messaging/kafka/kafka.transport';

/** A consumer that has not heartbeated for this long is as good as gone from its group. */
const HEARTBEAT_STALE_MS = 30_000;

/**
 * Kafka as this instance uses it, from its own clients' state (no probe client). A worker is
 * not ready while its consumer is crashed, stopped or silent. An API instance stays ready with
 * Kafka down, since the outbox keeps accepting orders; it reports the producer's state.
 */
@Injectable()
export class KafkaHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly transport: KafkaTransport,
    private readonly publisher: KafkaPublisher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Liveness: a worker whose consumer crashed for good (kafkajs gave up restarting it) will
   * never consume again; failing liveness gets the process restarted.
   */
  alive(): HealthIndicatorResult<'kafka'> {
    const indicator = this.health.check('kafka');
    if (!this.config.kafka || !this.config.roles.worker) return indicator.up();
    const { status } = this.transport.consumerState();
    return status === 'crashed'
      ? indicator.down({ consumer: status })
      : indicator.up({ consumer: status });
  }

  check(): HealthIndicatorResult<'kafka'> {
    const indicator = this.health.check('kafka');
    if (!this.config.kafka) return indicator.up({ configured: false });
    const producer = this.publisher.isConnected() ? 'connected' : 'idle or reconnecting';
    if (!this.config.roles.worker) return indicator.up({ producer });
    const consumer = this.transport.consumerState();
    const silentFor = consumer.lastHeartbeatAt
      ? Date.now() - consumer.lastHeartbeatAt.getTime()
      : null;
    const details = {
      producer,
      consumer: consumer.status,
      assignedPartitions: consumer.assignedPartitions,
      lastHeartbeatAt: consumer.lastHeartbeatAt,
    };
    const failing =
      consumer.status === 'crashed' ||
      consumer.status === 'stopped' ||
      consumer.status === 'disconnected' ||
      (silentFor !== null && silentFor > HEARTBEAT_STALE_MS);
    return failing ? indicator.down(details) : indicator.up(details);
  }
}
