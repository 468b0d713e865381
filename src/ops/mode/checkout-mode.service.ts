import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Client } from 'pg';
import { Gauge } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { returningRows } from '../../database/returning-rows';
import { DomainError } from '../../http/domain-error';
import { Metrics } from '../metrics/metric-names';

export const CHECKOUT_MODES = ['sync', 'async'] as const;
export type CheckoutMode = (typeof CHECKOUT_MODES)[number];

export interface ModeState {
  mode: CheckoutMode;
  setBy: string;
  setAt: Date;
}

export interface ModeChange {
  from: CheckoutMode | null;
  to: CheckoutMode;
  changedBy: string;
  reason: string | null;
  changedAt: Date;
}

export class AsyncModeUnavailableError extends DomainError {
  constructor() {
    super(
      'conflict',
      'Async mode needs Kafka, and this deployment has none configured (KAFKA_BROKERS); ' +
        'the checkout stays in sync mode.',
    );
  }
}

const CHANNEL = 'checkout_mode';

/**
 * The checkout mode all instances route new orders in. Stored in PostgreSQL, changed by an
 * admin, audited, and announced by NOTIFY so every instance follows within a moment; each
 * instance also re-reads it every MODE_POLL_MS in case it missed an announcement.
 */
@Injectable()
export class CheckoutModeService implements OnModuleInit, BeforeApplicationShutdown {
  private state: ModeState = { mode: 'sync', setBy: 'boot', setAt: new Date() };
  private listener: Client | null = null;
  private poll: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.mode) private readonly gauge: Gauge<'mode'>,
  ) {
    this.logger.setContext(CheckoutModeService.name);
  }

  async onModuleInit(): Promise<void> {
    const initial = this.config.kafka ? this.config.mode.initial : 'sync';
    await this.dataSource.transaction(async (manager) => {
      const created = await manager.query<unknown[]>(
        `INSERT INTO checkout_mode (id, mode, set_by) VALUES (1, $1, 'CHECKOUT_MODE')
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [initial],
      );
      if (created.length > 0)
        await this.audit(manager, null, initial, 'CHECKOUT_MODE', 'initial mode');
    });
    await this.refresh();
    if (this.config.database.kind === 'postgres') await this.listen(this.config.database.url);
    this.poll = setInterval(
      () => void this.refresh().catch(() => undefined),
      this.config.mode.pollMs,
    );
    this.poll.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.poll) clearInterval(this.poll);
    await this.listener?.end().catch(() => undefined);
  }

  /** The mode a new order is accepted in, on this instance, now. */
  mode(): CheckoutMode {
    return this.state.mode;
  }

  current(): ModeState {
    return { ...this.state };
  }

  async history(limit = 50): Promise<ModeChange[]> {
    const rows = await this.dataSource.query<
      {
        from_mode: CheckoutMode | null;
        to_mode: CheckoutMode;
        changed_by: string;
        reason: string | null;
        changed_at: Date;
      }[]
    >(
      `SELECT from_mode, to_mode, changed_by, reason, changed_at FROM checkout_mode_changes
        ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      from: row.from_mode,
      to: row.to_mode,
      changedBy: row.changed_by,
      reason: row.reason,
      changedAt: row.changed_at,
    }));
  }

  /** Switches every instance to `mode`; a switch to the mode in force changes nothing. */
  async set(mode: CheckoutMode, by: string, reason: string | null): Promise<ModeState> {
    if (mode === 'async' && !this.config.kafka) throw new AsyncModeUnavailableError();
    await this.dataSource.transaction(async (manager) => {
      const [{ mode: from }] = await manager.query<{ mode: CheckoutMode }[]>(
        `SELECT mode FROM checkout_mode WHERE id = 1 FOR UPDATE`,
      );
      if (from === mode) return;
      await returningRows(
        manager,
        `UPDATE checkout_mode SET mode = $1, set_by = $2, set_at = now() WHERE id = 1 RETURNING id`,
        [mode, by],
      );
      await this.audit(manager, from, mode, by, reason);
      await manager.query(`SELECT pg_notify($1, $2)`, [CHANNEL, mode]);
      this.logger.info({ from, to: mode, by, reason }, 'checkout mode switched');
    });
    await this.refresh();
    return this.current();
  }

  private async audit(
    manager: EntityManager,
    from: CheckoutMode | null,
    to: CheckoutMode,
    by: string,
    reason: string | null,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO checkout_mode_changes (from_mode, to_mode, changed_by, reason) VALUES ($1, $2, $3, $4)`,
      [from, to, by, reason],
    );
  }

  private async refresh(): Promise<void> {
    const [row] = await this.dataSource.query<
      { mode: CheckoutMode; set_by: string; set_at: Date }[]
    >(`SELECT mode, set_by, set_at FROM checkout_mode WHERE id = 1`);
    if (!row) return;
    if (row.mode !== this.state.mode)
      this.logger.info({ mode: row.mode }, 'following checkout mode');
    this.state = { mode: row.mode, setBy: row.set_by, setAt: new Date(row.set_at) };
    for (const mode of CHECKOUT_MODES) this.gauge.set({ mode }, mode === row.mode ? 1 : 0);
  }

  /** A connection of its own that hears every switch the moment it commits. */
  private async listen(url: string): Promise<void> {
    const client = new Client({
      connectionString: url,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
    });
    client.on('notification', () => void this.refresh().catch(() => undefined));
    client.on('error', (error) =>
      this.logger.warn({ error: error.message }, 'mode listener failed'),
    );
    client.on('end', () => {
      this.listener = null;
      if (this.closing) return;
      setTimeout(() => {
        if (!this.closing) void this.listen(url).catch(() => undefined);
      }, 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }
}
