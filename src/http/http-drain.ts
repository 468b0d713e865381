import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PinoLogger } from 'nestjs-pino';
import { IncomingMessage, Server } from 'node:http';
import { answerJson, Middleware, pathOf } from './node-http';
import { ShutdownDeadline } from '../runtime/shutdown-deadline';

/**
 * Graceful shutdown of the HTTP side: on SIGTERM the instance stops accepting connections,
 * answers requests that still arrive on open keep-alive connections with 503 (so the client
 * retries elsewhere), and waits for requests under way (a sync checkout waiting for its payment)
 * to finish until the shutdown's deadline (SHUTDOWN_GRACE_MS). SSE streams are not waited for:
 * they are closed, and browsers reconnect to another instance, which reads the order from the
 * database.
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  private inFlight = 0;
  private draining = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly deadline: ShutdownDeadline,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(HttpDrain.name);
  }

  /** Counts requests under way, and turns new ones away while draining. */
  readonly middleware: Middleware = (request, response, next) => {
    if (this.draining) {
      answerJson(
        response,
        503,
        {
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'This instance is shutting down; retry, another instance will answer.',
        },
        { Connection: 'close' },
      );
      return;
    }
    if (isEventStream(request)) return next();
    this.inFlight += 1;
    response.once('close', () => {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.idle?.();
    });
    next();
  };

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    this.draining = true;
    server.close();
    server.closeIdleConnections();
    const waiting = this.inFlight;
    if (waiting > 0) {
      this.logger.info({ inFlight: waiting }, 'draining: waiting for requests under way');
      const allDone = new Promise<void>((resolve) => (this.idle = resolve));
      await this.deadline.waitFor(allDone);
    }
    this.logger.info({ finished: waiting - this.inFlight, cut: this.inFlight }, 'HTTP drained');
  }
}

/** SSE streams never end on their own: they are not waited for. */
function isEventStream(request: IncomingMessage): boolean {
  return (
    (request.headers.accept ?? '').includes('text/event-stream') ||
    /\/events\/?$/.test(pathOf(request))
  );
}
