import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { KafkaPublisher } from '../../messaging/kafka/kafka-publisher';
import { ConsumerState } from '../../messaging/kafka/consumer-supervisor';
import { KafkaTransport } from '../../messaging/kafka/kafka.transport';

/**
 * Kafka as this instance uses it, from its own clients' state (no probe client). A worker is
 * ready only while its consumer is a member of its group with its assignment and heartbeating:
 * not while it boots, rebalances, restarts after a crash, or has been silent for a session
 * (its group has then dropped it). An API instance stays ready with Kafka down, since the
 * outbox keeps accepting orders; it reports the producer's state.
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
   * Liveness: a worker whose consumer crashed and could not be started again (a crash itself
   * is restarted within a second) will never consume again; failing liveness gets the process
   * restarted.
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
    const details = {
      producer,
      consumer: consumer.status,
      assignedPartitions: consumer.assignedPartitions,
      lastHeartbeatAt: consumer.lastHeartbeatAt,
    };
    const reason = whyNotConsuming(consumer, this.config.kafka.sessionTimeoutMs);
    return reason ? indicator.down({ ...details, reason }) : indicator.up(details);
  }
}

/** Why a worker's consumer is not consuming, or null when it is. */
function whyNotConsuming(consumer: ConsumerState, sessionTimeoutMs: number): string | null {
  const crash = consumer.lastError ? `: ${consumer.lastError}` : '';
  switch (consumer.status) {
    case 'starting':
      return 'not yet a member of its consumer group';
    case 'rebalancing':
      return 'its consumer group is rebalancing';
    case 'restarting':
      return `restarting after a crash${crash}`;
    case 'crashed':
      return `crashed and could not be started again${crash}`;
    case 'stopped':
    case 'disconnected':
      return `consumer ${consumer.status}`;
    case 'connected': {
      const silentMs = Date.now() - (consumer.lastHeartbeatAt?.getTime() ?? Date.now());
      return silentMs > sessionTimeoutMs
        ? `no heartbeat for ${silentMs} ms, longer than the ${sessionTimeoutMs} ms session`
        : null;
    }
  }
}
