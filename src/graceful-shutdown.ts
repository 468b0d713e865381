import { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { ShutdownDeadline } from './runtime/shutdown-deadline';
import { stopTracing } from './runtime/tracing/start-tracing';

/**
 * Shuts the instance down on SIGTERM or SIGINT: drains and closes everything within
 * SHUTDOWN_GRACE_MS (see ShutdownDeadline), logs how long it took, exits with code 0. One still
 * running when the grace is over is cut there (exit code 1), before the orchestrator's kill:
 * docker-compose.yml's stop_grace_period is longer than the grace.
 */
export function shutDownOnSignals(app: INestApplication, graceMs: number): void {
  const logger = app.get(Logger);
  const deadline = app.get(ShutdownDeadline);
  let shuttingDown = false;
  const shutDown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    deadline.begin();
    logger.log({ signal, graceMs }, 'shutting down', 'Shutdown');
    setTimeout(() => {
      const durationMs = deadline.elapsedMs();
      logger.error({ durationMs, graceMs }, 'shutdown cut: not done within the grace', 'Shutdown');
      process.exit(1);
    }, graceMs).unref();
    app.close().then(
      async () => {
        logger.log({ durationMs: deadline.elapsedMs(), graceMs }, 'shut down', 'Shutdown');
        await deadline.waitFor(stopTracing());
        process.exit(0);
      },
      (error: unknown) => {
        const durationMs = deadline.elapsedMs();
        logger.error({ durationMs, error: String(error) }, 'shutdown failed', 'Shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutDown);
  process.on('SIGINT', shutDown);
}
