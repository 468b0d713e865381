import { randomUUID } from 'node:crypto';
import { Params } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { AppConfig } from '../config/app-config';
import { orderAnswerOf } from './order-answer';
import { isProbe } from './probes';
import { currentTraceId } from './tracing/trace-context';

/**
 * A URL as it may be logged: each query value (a token someone put there) replaced, the names
 * kept, as the secret headers are.
 */
export function redactedUrl(url: string | undefined): string | undefined {
  const start = url?.indexOf('?') ?? -1;
  if (!url || start < 0) return url;
  const query = url
    .slice(start + 1)
    .split('&')
    .map((part) =>
      part.includes('=') ? `${part.slice(0, part.indexOf('='))}=[Redacted]` : '[Redacted]',
    )
    .join('&');
  return `${url.slice(0, start)}?${query}`;
}

/**
 * The level of a request's log line by its answer: a server error is an error; a 503 is the app
 * refusing on purpose (overload, draining, the database away), which a peak makes by the
 * thousand, so a warning; the rest, a client's mistakes (a sold-out 409, a 400) included, is the
 * app working as it should.
 */
export function responseLevel(statusCode: number, error?: Error): 'error' | 'warn' | 'info' {
  if (statusCode === 503) return 'warn';
  if (error || statusCode >= 500) return 'error';
  return 'info';
}

/** Whether logs are for a person (a terminal, or LOG_FORMAT=pretty) rather than for a collector. */
export function logsPretty(format: AppConfig['log']['format'], terminal: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && terminal);
}

/**
 * Logs, one line per event, each carrying the trace id of the work it belongs to: JSON lines
 * for a log collector, or pretty lines for a person at a terminal.
 */
export function loggingParams(config: AppConfig, terminal = process.stdout.isTTY === true): Params {
  const options = pinoHttpOptions(config);
  return { pinoHttp: logsPretty(config.log.format, terminal) ? [options, prettyLines()] : options };
}

/**
 * Time, level, message and the facts that follow an order (its id, the trace); the request and
 * response objects a JSON line carries are folded into the message.
 */
function prettyLines(): ReturnType<typeof pretty> {
  return pretty({
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,req,res,context',
    messageFormat:
      '{if context}[{context}] {end}{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} {res.statusCode}{end}',
    sync: true,
  });
}

function pinoHttpOptions(config: AppConfig): Options {
  return {
    level: config.log.level,
    genReqId: (request) => (request as { id?: string }).id ?? currentTraceId() ?? randomUUID(),
    customAttributeKeys: { reqId: 'traceId' },
    // A request's own logger already carries its trace id; work started elsewhere (a message
    // handler) gets it from the trace context.
    quietReqLogger: true,
    mixin: (_merge, _level, logger) => {
      const traceId = currentTraceId();
      return traceId && !('traceId' in logger.bindings()) ? { traceId } : {};
    },
    customProps: (_request, response) => {
      const orderId = orderAnswerOf(response)?.orderId;
      return orderId ? { orderId } : {};
    },
    autoLogging: {
      // A middleware mounted on every path sees the URL past its mount point (middie's); the
      // whole of it is in originalUrl.
      ignore: (request) =>
        isProbe((request as { originalUrl?: string }).originalUrl ?? request.url),
    },
    // 'silent' below the level in force: pino-http then skips the line's bindings altogether.
    customLogLevel: (_request, response, error) => {
      const level = responseLevel(response.statusCode, error);
      return pino.levels.values[level] >= pino.levels.values[config.log.level] ? level : 'silent';
    },
    // A 5xx the app answered on purpose (503 while draining or while the database is down)
    // has no error of its own: pino-http would make one up, with a stack trace, per request.
    customErrorObject: (_request, _response, error, value: Record<string, unknown>) =>
      error.message.startsWith('failed with status code') ? { ...value, err: undefined } : value,
    serializers: {
      // The parsed query repeats the URL's: dropped.
      req: (request: { url?: string; query?: unknown }) =>
        Object.assign(request, { url: redactedUrl(request.url), query: undefined }),
    },
    redact: ['req.headers.authorization', 'req.headers["x-internal-secret"]'],
  };
}
