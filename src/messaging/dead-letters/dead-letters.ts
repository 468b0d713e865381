import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Gauge } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DatabaseOutage } from '../../database/database-outage';
import { returningRows } from '../../database/returning-rows';
import { DomainError } from '../../runtime/domain-error';
import { every, Repeating } from '../../runtime/every';
import { Metrics } from '../../runtime/metrics/metric-names';
import { Envelope, parseEnvelope } from '../envelope';
import { KafkaTopics } from '../kafka/kafka-topics';
import { Outbox } from '../outbox/outbox';
import { OutboxRelay } from '../outbox/outbox-relay';

export interface DeadLetter {
  id: string;
  /** The app's name of the topic the record came from (payment.order, payment.result). */
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
  error: string;
  attempts: number;
  deadLetteredAt: Date;
  replayedAt: Date | null;
  replayedBy: string | null;
}

export type DeadLetterState = 'waiting' | 'replayed' | 'all';

export interface ReplayAllResult {
  replayed: string[];
  /** Dead letters that are not messages at all (not JSON, no envelope): nothing to replay. */
  unreplayable: string[];
}

/** How often every instance counts the waiting dead letters for its metric. */
const COUNT_EVERY_MS = 5000;

interface DeadLetterRow {
  id: string;
  kafka_topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
  error: string;
  attempts: number;
  dead_lettered_at: Date;
  replayed_at: Date | null;
  replayed_by: string | null;
}

export class DeadLetterNotFoundError extends DomainError {
  constructor(id: string) {
    super('not_found', `Dead letter ${id} does not exist.`);
  }
}

export class DeadLetterReplayedError extends DomainError {
  constructor(id: string, at: Date, by: string | null) {
    super('conflict', `Dead letter ${id} was already replayed at ${at.toISOString()} by ${by}.`, {
      replayedAt: at,
      replayedBy: by,
    });
  }
}

export class DeadLetterUnreplayableError extends DomainError {
  constructor(id: string, error: string) {
    super(
      'unprocessable',
      `Dead letter ${id} is not a message the app can read (${error}); replaying it would ` +
        'only dead-letter it again. Fix or drop it at its producer.',
    );
  }
}

/**
 * Records no retry could process: kept for admins, who list them and replay one or all once
 * the cause is fixed. A replay publishes the original message again (same id, through the
 * outbox), so consumers that had already handled it drop the copy and the one that failed
 * gets another go. Every instance counts those waiting into a metric an alert watches.
 */
@Injectable()
export class DeadLetters implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private counting: Repeating | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly topics: KafkaTopics,
    private readonly outbox: Outbox,
    private readonly relay: OutboxRelay,
    private readonly outage: DatabaseOutage,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.deadLettersWaiting) private readonly waitingGauge: Gauge,
  ) {
    this.logger.setContext(DeadLetters.name);
  }

  onApplicationBootstrap(): void {
    if (!this.config.kafka) return;
    this.counting = every(
      COUNT_EVERY_MS,
      async () => this.waitingGauge.set(await this.waiting()),
      (error) => {
        if (!this.outage.explains(error)) {
          this.logger.warn({ error: String(error) }, 'counting the waiting dead letters failed');
        }
      },
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.counting?.stop();
  }

  /** Keeps a dead-lettered record; the same record twice is kept once. */
  async keep(
    record: Omit<DeadLetter, 'id' | 'topic' | 'deadLetteredAt' | 'replayedAt' | 'replayedBy'> & {
      kafkaTopic: string;
    },
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO dead_letters (kafka_topic, partition, "offset", key, value, error, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT ON CONSTRAINT dead_letters_record DO NOTHING`,
      [
        record.kafkaTopic,
        record.partition,
        record.offset,
        record.key,
        record.value,
        record.error,
        record.attempts,
      ],
    );
  }

  /** This deployment's dead letters (its topic prefix), newest first. */
  async list(state: DeadLetterState, limit: number): Promise<DeadLetter[]> {
    const rows = await this.dataSource.query<DeadLetterRow[]>(
      `SELECT * FROM dead_letters
        WHERE kafka_topic = ANY($1)
          AND ($2 = 'all' OR ($2 = 'waiting') = (replayed_at IS NULL))
        ORDER BY id DESC LIMIT $3`,
      [this.kafkaTopics(), state, limit],
    );
    return rows.map((row) => this.viewOf(row));
  }

  async waiting(): Promise<number> {
    const [{ count }] = await this.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM dead_letters
        WHERE kafka_topic = ANY($1) AND replayed_at IS NULL`,
      [this.kafkaTopics()],
    );
    return count;
  }

  async replay(id: string, by: string): Promise<DeadLetter> {
    const replayed = await this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query<DeadLetterRow[]>(
        `SELECT * FROM dead_letters WHERE id = $1 AND kafka_topic = ANY($2) FOR UPDATE`,
        [id, this.kafkaTopics()],
      );
      if (!row) throw new DeadLetterNotFoundError(id);
      if (row.replayed_at) throw new DeadLetterReplayedError(id, row.replayed_at, row.replayed_by);
      const envelope = envelopeOf(row);
      if (!envelope) throw new DeadLetterUnreplayableError(id, row.error);
      return this.publishAgain(manager, row, envelope, by);
    });
    this.relay.wake();
    return replayed;
  }

  /** Replays every waiting dead letter that is a message; reports those that are not. */
  async replayAll(by: string): Promise<ReplayAllResult> {
    const result = await this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<DeadLetterRow[]>(
        `SELECT * FROM dead_letters WHERE kafka_topic = ANY($1) AND replayed_at IS NULL
          ORDER BY id FOR UPDATE SKIP LOCKED`,
        [this.kafkaTopics()],
      );
      const done: ReplayAllResult = { replayed: [], unreplayable: [] };
      for (const row of rows) {
        const envelope = envelopeOf(row);
        if (!envelope) {
          done.unreplayable.push(row.id);
          continue;
        }
        await this.publishAgain(manager, row, envelope, by);
        done.replayed.push(row.id);
      }
      return done;
    });
    this.relay.wake();
    return result;
  }

  private async publishAgain(
    manager: EntityManager,
    row: DeadLetterRow,
    envelope: Envelope,
    by: string,
  ): Promise<DeadLetter> {
    const [updated] = await returningRows<DeadLetterRow>(
      manager,
      `UPDATE dead_letters SET replayed_at = now(), replayed_by = $2 WHERE id = $1 RETURNING *`,
      [row.id, by],
    );
    await this.outbox.stage(manager, [envelope]);
    this.logger.info(
      { deadLetter: row.id, orderId: envelope.key, topic: envelope.type, by },
      'dead letter replayed',
    );
    return this.viewOf(updated);
  }

  private kafkaTopics(): string[] {
    return this.topics.consumed().map((topic) => this.topics.nameOf(topic));
  }

  private viewOf(row: DeadLetterRow): DeadLetter {
    return {
      id: String(row.id),
      topic: this.topics.topicOf(row.kafka_topic),
      partition: row.partition,
      offset: String(row.offset),
      key: row.key,
      value: row.value,
      error: row.error,
      attempts: row.attempts,
      deadLetteredAt: row.dead_lettered_at,
      replayedAt: row.replayed_at,
      replayedBy: row.replayed_by,
    };
  }
}

function envelopeOf(row: DeadLetterRow): Envelope | null {
  try {
    return parseEnvelope(row.value, row.kafka_topic);
  } catch {
    return null;
  }
}
