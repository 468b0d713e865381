import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/**
 * What closing takes once nothing is waited for any more: the consumer's last fetch (its
 * maxWaitTime) and leaving its group, the producer, the database pool, the HTTP server.
 */
const CLOSING_MS = 1000;

/**
 * The one deadline of an instance's shutdown, SHUTDOWN_GRACE_MS after it began. The HTTP drain,
 * the Kafka drain and the outbox's last flush run one after the other and each waits for work
 * under way only until this deadline (less what closing takes after them), so that together
 * they fit the grace instead of taking it each.
 */
@Injectable()
export class ShutdownDeadline {
  private readonly graceMs: number;
  private startedAt: number | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.graceMs = config.shutdown.graceMs;
  }

  /** Starts the countdown; the first call does (the signal, else the first shutdown hook). */
  begin(): void {
    this.startedAt ??= Date.now();
  }

  elapsedMs(): number {
    this.begin();
    return Date.now() - this.startedAt!;
  }

  /** How much longer work under way may be waited for. */
  remainingMs(): number {
    return Math.max(0, this.graceMs - CLOSING_MS - this.elapsedMs());
  }

  /** Waits for `work` until the deadline; true when it settled in time. */
  async waitFor(work: Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.remainingMs());
    });
    const settled = work.then(
      () => true as const,
      () => true as const,
    );
    try {
      return await Promise.race([settled, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
