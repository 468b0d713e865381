import { randomUUID } from 'node:crypto';
import { Params } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { currentTraceId } from '../tracing/trace-context';

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

/** JSON logs, one line per event, each carrying the trace id of the work it belongs to. */
export function loggingParams(config: AppConfig): Params {
  return {
    pinoHttp: {
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
        const orderId = (response as { locals?: { orderId?: string } }).locals?.orderId;
        return orderId ? { orderId } : {};
      },
      autoLogging: { ignore: (request) => /^\/(health|metrics)/.test(request.url ?? '') },
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
    },
  };
}
