import { every, Repeating } from '../runtime/every';
import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { Client } from 'pg';
import { getPGliteInstance } from 'typeorm-pglite';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

type Hearer = (payload: string) => void;

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (docs, NOTIFY). */
const MAX_PAYLOAD_BYTES = 7999;
const RECONNECT_MS = 1000;
/**
 * A listening connection only receives, so a peer that vanished without a reset (a moved
 * database, a firewall) would never show: it is asked a question this often, and replaced when
 * it does not answer.
 */
const PROBE_MS = 5000;

/**
 * PostgreSQL's LISTEN/NOTIFY, the fleet's shared announcement board: `notify` inside a
 * transaction is heard by every instance once (and only if) it commits. On a PostgreSQL server
 * an instance listens on one connection of its own, outside the pool, and re-opens it when it
 * is lost (what is announced meanwhile is not heard: a listener that cannot afford that also
 * reads the database now and then). On PGlite, one process, the notice comes back on the same
 * session.
 */
@Injectable()
export class DatabaseNotifications implements BeforeApplicationShutdown {
  private readonly hearers = new Map<string, Hearer[]>();
  private connection: Client | null = null;
  private connecting: Promise<Client | null> | null = null;
  private listening = new Set<string>();
  private lost = false;
  private closing = false;
  private stopEmbedded: (() => void) | null = null;
  private probe: Repeating | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(DatabaseNotifications.name);
  }

  /** Calls `hear` with the payload of every notice on `channel`, from any instance. */
  async listen(channel: string, hear: Hearer): Promise<void> {
    assertChannel(channel);
    this.hearers.set(channel, [...(this.hearers.get(channel) ?? []), hear]);
    if (this.config.database.kind === 'embedded') {
      this.stopEmbedded ??= (await getPGliteInstance()).onNotification((name, payload) =>
        this.dispatch(name, payload),
      );
      await this.dataSource.query(`LISTEN ${channel}`);
      return;
    }
    const client = this.connection ?? (await this.connect());
    if (client && !this.listening.has(channel)) {
      await client.query(`LISTEN ${channel}`);
      this.listening.add(channel);
    }
  }

  /** Announces `payload` on `channel` when the transaction of `manager` commits. */
  async notify(manager: EntityManager, channel: string, payload: string): Promise<void> {
    assertChannel(channel);
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_PAYLOAD_BYTES) {
      throw new Error(
        `A notice on ${channel} of ${bytes} bytes is over PostgreSQL's ${MAX_PAYLOAD_BYTES}: ` +
          'announce ids and let listeners read the rest.',
      );
    }
    await manager.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.stopEmbedded?.();
    await this.probe?.stop();
    await this.connection?.end().catch(() => undefined);
  }

  private dispatch(channel: string, payload: string): void {
    for (const hear of this.hearers.get(channel) ?? []) {
      try {
        hear(payload);
      } catch (error) {
        this.logger.warn({ channel, error: String(error) }, 'a notice could not be handled');
      }
    }
  }

  /** One connection at a time, LISTENing on every channel asked for so far; null on failure. */
  private connect(): Promise<Client | null> {
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<Client | null> {
    if (this.config.database.kind !== 'postgres') return null;
    const client = new Client({
      connectionString: this.config.database.url,
      connectionTimeoutMillis: this.config.database.connectionTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: PROBE_MS,
      query_timeout: this.config.database.connectionTimeoutMs,
      application_name: 'peak-checkout notifications',
    });
    client.on('notification', ({ channel, payload }) => this.dispatch(channel, payload ?? ''));
    // A lost connection also ends: 'end' is where it is replaced.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const channels = [...this.hearers.keys()];
      for (const channel of channels) await client.query(`LISTEN ${channel}`);
      this.listening = new Set(channels);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.connectionLost(error);
      return null;
    }
    if (this.closing) {
      // Shutdown began while this connection was being opened: nothing else would end it.
      await client.end().catch(() => undefined);
      return null;
    }
    client.once('end', () => {
      if (this.connection !== client) return;
      this.connection = null;
      this.connectionLost(new Error('connection ended'));
    });
    this.connection = client;
    this.probe ??= every(
      PROBE_MS,
      () => this.probeConnection(),
      () => undefined,
    );
    if (this.lost) {
      this.lost = false;
      this.logger.info('listening for notices again');
    }
    return client;
  }

  private async probeConnection(): Promise<void> {
    const client = this.connection;
    if (!client || this.closing) return;
    try {
      await client.query('SELECT 1');
    } catch {
      // Its 'end' replaces it.
      await client.end().catch(() => undefined);
    }
  }

  private connectionLost(error: unknown): void {
    if (this.closing) return;
    if (!this.lost) {
      this.lost = true;
      this.logger.warn(
        { error: String(error) },
        `not listening for notices; trying again every ${RECONNECT_MS} ms`,
      );
    }
    setTimeout(() => {
      if (!this.closing && !this.connection) void this.connect();
    }, RECONNECT_MS).unref();
  }
}

/** Channels are our own constants; LISTEN takes an identifier, not a parameter. */
function assertChannel(channel: string): void {
  if (!/^[a-z_]+$/.test(channel)) throw new Error(`Not a channel name: ${channel}`);
}
