import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { isConnectionError } from './connection-errors';

const PROBE_MS = 1000;

/**
 * Whether the database is reachable, as this instance finds out: the first connection error
 * starts an outage, logged once however many requests and loops run into it; a probe asks the
 * database every second until it answers, and the recovery is logged once too. Nothing is
 * held back meanwhile: every request still tries, and fails fast, so the instance serves again
 * the moment the database does.
 */
@Injectable()
export class DatabaseOutage implements BeforeApplicationShutdown {
  private since: number | null = null;
  private probe: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(DatabaseOutage.name);
  }

  /** True while an outage is under way. */
  get down(): boolean {
    return this.since !== null;
  }

  /**
   * True when `error` is the database being unreachable rather than a query's own failure;
   * then it is part of the outage, which this logs (once), so the caller need not.
   */
  explains(error: unknown): boolean {
    if (!isConnectionError(error)) return false;
    if (this.since === null && !this.closing) {
      this.since = Date.now();
      this.logger.error(
        { error: error instanceof Error ? error.message : String(error) },
        'database unavailable: requests are answered 503 until it answers again',
      );
      this.scheduleProbe();
    }
    return true;
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    if (this.probe) clearTimeout(this.probe);
  }

  private scheduleProbe(): void {
    this.probe = setTimeout(() => void this.check(), PROBE_MS);
    this.probe.unref();
  }

  private async check(): Promise<void> {
    if (this.closing || this.since === null) return;
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      this.scheduleProbe();
      return;
    }
    this.logger.info({ downForMs: Date.now() - this.since }, 'database reachable again');
    this.since = null;
  }
}
