import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { every, Repeating } from '../runtime/every';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DatabaseOutage } from '../database/database-outage';
import { returningRows } from '../database/returning-rows';

/**
 * Deletes published outbox rows and de-duplication records older than MESSAGE_RETENTION_MS,
 * so neither table grows without end. The retention must outlast any redelivery (Kafka's
 * retention of the topics) for de-duplication to hold.
 */
@Injectable()
export class MessageRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private pruning: Repeating | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outage: DatabaseOutage,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(MessageRetention.name);
  }

  onApplicationBootstrap(): void {
    this.pruning = every(
      this.config.outbox.pruneIntervalMs,
      async () => void (await this.prune()),
      (error) => {
        if (!this.outage.explains(error)) {
          this.logger.warn({ error: String(error) }, 'pruning old messages failed');
        }
      },
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.pruning?.stop();
  }

  /** Prunes once; returns how many rows of each table went. */
  async prune(): Promise<{ outbox: number; processed: number }> {
    const ms = this.config.outbox.retentionMs;
    const outbox = await returningRows(
      this.dataSource.manager,
      `DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1) RETURNING id`,
      [ms / 1000],
    );
    const processed = await returningRows(
      this.dataSource.manager,
      `DELETE FROM processed_messages WHERE processed_at < now() - make_interval(secs => $1)
       RETURNING message_id`,
      [ms / 1000],
    );
    if (outbox.length + processed.length > 0) {
      this.logger.info(
        { outbox: outbox.length, processed: processed.length },
        'pruned old messages',
      );
    }
    return { outbox: outbox.length, processed: processed.length };
  }
}
