import { every, Repeating } from '../../runtime/every';
import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DatabaseNotifications } from '../../database/database-notifications';

/** A knob an admin turns at runtime: its value, who set it and when. */
export interface SettingState {
  value: string;
  setBy: string;
  setAt: Date;
}

/** One audited change of a setting. */
export interface SettingChange {
  from: string | null;
  to: string;
  changedBy: string;
  reason: string | null;
  changedAt: Date;
}

type Listener = (state: SettingState) => void;

const CHANNEL = 'runtime_settings';

interface SettingRow {
  name: string;
  value: string;
  set_by: string;
  set_at: Date;
}

/**
 * The knobs every instance follows (checkout mode, backpressure limit): stored in PostgreSQL,
 * changed by an admin or by the app itself, every change audited, and announced by NOTIFY
 * (DatabaseNotifications), so the whole fleet follows within a moment. Each instance also
 * re-reads them every SETTINGS_POLL_MS, for what its listener missed while it was cut off.
 */
@Injectable()
export class RuntimeSettings implements OnModuleInit, BeforeApplicationShutdown {
  private readonly states = new Map<string, SettingState>();
  private readonly listeners = new Map<string, Listener[]>();
  private poll: Repeating | null = null;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly notifications: DatabaseNotifications,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(RuntimeSettings.name);
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    await this.notifications.listen(CHANNEL, () => void this.refresh().catch(() => undefined));
    // A failed read is tried again at the next poll; the settings in force stay meanwhile.
    this.poll = every(
      this.config.settings.pollMs,
      () => this.refresh(),
      () => undefined,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.poll?.stop();
  }

  /**
   * Gives `name` its first value unless the fleet already has one, and calls `listener` with
   * the value in force now and after every change. Call it from a module's init hook.
   */
  async follow(name: string, initial: string, source: string, listener: Listener): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const created = await manager.query<unknown[]>(
        `INSERT INTO runtime_settings (name, value, set_by) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING RETURNING name`,
        [name, initial, source],
      );
      if (created.length > 0) await this.audit(manager, name, null, initial, source, 'initial');
    });
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
    this.states.delete(name);
    await this.refresh();
  }

  current(name: string): SettingState {
    const state = this.states.get(name);
    if (!state) throw new Error(`Runtime setting ${name} is not followed on this instance.`);
    return { ...state };
  }

  /** Sets `name` for every instance; setting the value in force changes nothing. */
  async set(name: string, value: string, by: string, reason: string | null): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query<{ value: string }[]>(
        `SELECT value FROM runtime_settings WHERE name = $1 FOR UPDATE`,
        [name],
      );
      if (!row) throw new Error(`Runtime setting ${name} does not exist.`);
      if (row.value === value) return;
      await manager.query(
        `UPDATE runtime_settings SET value = $2, set_by = $3, set_at = now() WHERE name = $1`,
        [name, value, by],
      );
      await this.audit(manager, name, row.value, value, by, reason);
      await this.notifications.notify(manager, CHANNEL, name);
      this.logger.info(
        { setting: name, from: row.value, to: value, by, reason },
        'setting changed',
      );
    });
    await this.refresh();
  }

  /** Audits a change the app made on its own without storing a new value (auto mode). */
  async record(name: string, from: string, to: string, by: string, reason: string): Promise<void> {
    await this.audit(this.dataSource.manager, name, from, to, by, reason);
  }

  async history(name: string, limit = 50): Promise<SettingChange[]> {
    const rows = await this.dataSource.query<
      {
        from_value: string | null;
        to_value: string;
        changed_by: string;
        reason: string | null;
        changed_at: Date;
      }[]
    >(
      `SELECT from_value, to_value, changed_by, reason, changed_at FROM runtime_setting_changes
        WHERE name = $1 ORDER BY id DESC LIMIT $2`,
      [name, limit],
    );
    return rows.map((row) => ({
      from: row.from_value,
      to: row.to_value,
      changedBy: row.changed_by,
      reason: row.reason,
      changedAt: row.changed_at,
    }));
  }

  private async audit(
    manager: EntityManager,
    name: string,
    from: string | null,
    to: string,
    by: string,
    reason: string | null,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO runtime_setting_changes (name, from_value, to_value, changed_by, reason)
       VALUES ($1, $2, $3, $4, $5)`,
      [name, from, to, by, reason],
    );
  }

  /**
   * Reads run one after another (the poll, NOTIFY, set and follow all ask): an older read
   * finishing after a newer one would put an old value back.
   */
  private refresh(): Promise<void> {
    const next = this.refreshing.then(() => this.read());
    this.refreshing = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<void> {
    const names = [...this.listeners.keys()];
    if (names.length === 0) return;
    const rows = await this.dataSource.query<SettingRow[]>(
      `SELECT name, value, set_by, set_at FROM runtime_settings WHERE name = ANY($1)`,
      [names],
    );
    for (const row of rows) {
      const known = this.states.get(row.name);
      const state = { value: row.value, setBy: row.set_by, setAt: new Date(row.set_at) };
      this.states.set(row.name, state);
      if (known?.value === state.value) continue;
      if (known) this.logger.info({ setting: row.name, value: row.value }, 'following setting');
      for (const listener of this.listeners.get(row.name) ?? []) listener(state);
    }
  }
}
