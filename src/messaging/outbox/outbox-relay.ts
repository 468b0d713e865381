import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { returningRows } from '../../database/returning-rows';
import { PLANNED_AT_EACH_CALL } from '../../database/prepared-statements';
import { Metrics } from '../../runtime/metrics/metric-names';
import { ShutdownDeadline } from '../../runtime/shutdown-deadline';
import { Envelope } from '../envelope';
import { Outbox } from './outbox';
import { KafkaPublisher, Landing } from '../kafka/kafka-publisher';

/** How long a relay may hold rows it is publishing before another relay may take them. */
const CLAIM_SECONDS = 30;

/**
 * Publishes the outbox to Kafka: claims a batch of unpublished rows (a lease, not a held
 * transaction, so a slow or absent broker never pins a database connection), publishes them,
 * marks them published. While Kafka is down the rows wait and the relay keeps trying. Runs on
 * every instance that has Kafka; a row two relays both publish arrives twice and consumers
 * drop the copy.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private stopped: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private stopIdling: (() => void) | null = null;
  /** A commit staged messages while the relay was busy: its next idle must not wait. */
  private woken = false;
  private backlogMeasuredAt = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: KafkaPublisher,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
    private readonly deadline: ShutdownDeadline,
    @InjectMetric(Metrics.outboxBacklog) private readonly backlog: Gauge,
  ) {
    this.logger.setContext(OutboxRelay.name);
  }

  onApplicationBootstrap(): void {
    if (!this.config.kafka) return;
    this.running = true;
    this.stopped = this.relay();
  }

  /**
   * Stops before the database pool and the producer close (their hooks come after). A publish
   * under way past the shutdown's deadline is not waited for: its rows' claim runs out and
   * another relay publishes them.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopIdling?.();
    await this.deadline.waitFor(this.stopped!);
    await this.flush();
  }

  /**
   * Publishes what is waiting now, loop or no loop, until the shutdown's deadline: on the way
   * out, what the last records a worker drained produced. What cannot be published in time
   * stays for the next relay.
   */
  async flush(): Promise<void> {
    if (!this.config.kafka) return;
    try {
      let published: number;
      do {
        const withinMs = this.deadline.remainingMs();
        if (withinMs === 0) throw new Error('no time left before the shutdown deadline');
        published = await this.publishBatch(withinMs);
      } while (published === this.config.outbox.batchSize);
    } catch (error) {
      this.logger.warn({ error: String(error) }, 'outbox flush failed; the rows wait');
    }
  }

  /** Called after a commit that staged messages: publish now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async relay(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.woken = false;
      try {
        const published = await this.publishBatch();
        failures = 0;
        // A cycle runs every few milliseconds at peak, and at each commit below it: the gauge
        // needs no more than a second, and its count is a statement of its own.
        if (Date.now() - this.backlogMeasuredAt >= 1000) await this.measureBacklog();
        if (published === this.config.outbox.batchSize) continue;
      } catch (error) {
        failures += 1;
        this.logger.warn(
          { error: error instanceof Error ? error.message : String(error), failures },
          'outbox publish failed; will retry',
        );
        await this.measureBacklog().catch(() => undefined);
      }
      if (!this.running) break;
      // Backing off from a failure, a commit does not cut the wait short: Kafka is still down.
      await (failures === 0
        ? this.idle(this.config.outbox.pollMs, true)
        : this.idle(Math.min(5000, 250 * 2 ** failures), false));
    }
  }

  /** Publishes one batch (given up after `withinMs`); returns how many rows it published. */
  private async publishBatch(withinMs?: number): Promise<number> {
    const claimed = await returningRows<{ id: string; envelope: Envelope }>(
      this.dataSource.manager,
      `UPDATE outbox SET claimed_until = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM outbox
                      WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
                      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, envelope`,
      [this.config.outbox.batchSize, CLAIM_SECONDS],
    );
    if (claimed.length === 0) return 0;
    claimed.sort((a, b) => Number(a.id) - Number(b.id));
    let landings: (Landing | null)[];
    try {
      landings = await this.publisher.publish(
        claimed.map((row) => row.envelope),
        withinMs,
      );
    } catch (error) {
      await this.dataSource.query(`UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1)`, [
        claimed.map((row) => row.id),
      ]);
      throw error;
    }
    // Where each landed, in the same update: the watchdog compares it with the workers'
    // committed offsets to tell a late message from a lost one. Planned at each call: a plan
    // kept from while the outbox was small reads the whole of it at every batch (a hash join)
    // once it holds a sale's published rows.
    await this.dataSource.query(
      `${PLANNED_AT_EACH_CALL} UPDATE outbox
          SET published_at = now(), kafka_topic = landed.topic,
              kafka_partition = landed.partition, kafka_offset = landed.at_offset
         FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[])
              AS landed(id, topic, partition, at_offset)
        WHERE outbox.id = landed.id`,
      [
        claimed.map((row) => row.id),
        landings.map((landing) => landing?.topic ?? null),
        landings.map((landing) => landing?.partition ?? null),
        landings.map((landing) => landing?.offset ?? null),
      ],
    );
    return claimed.length;
  }

  private async measureBacklog(): Promise<void> {
    this.backlogMeasuredAt = Date.now();
    this.backlog.set(await this.outbox.unpublished());
  }

  private async idle(ms: number, wakeable: boolean): Promise<void> {
    if (wakeable && this.woken) return;
    const controller = new AbortController();
    this.stopIdling = () => controller.abort();
    this.wakeUp = wakeable ? this.stopIdling : null;
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
    this.wakeUp = null;
    this.stopIdling = null;
  }
}
