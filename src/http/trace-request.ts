import { context, SpanKind, trace } from '@opentelemetry/api';
import { NextFunction, Request, Response } from 'express';
import { currentTraceId, contextOf } from '../runtime/tracing/trace-context';
import { startSpan } from '../runtime/tracing/in-span';

/**
 * Gives every request a trace and answers its id in `X-Trace-Id`. With tracing on, the HTTP
 * instrumentation has already opened the request's span (continuing a caller's `traceparent`);
 * without, a span that records nothing does, so logs and messages carry the id all the same.
 */
export function traceRequest(request: Request, response: Response, next: NextFunction): void {
  let traceId = currentTraceId();
  if (traceId) {
    answerTraceId(request, response, traceId);
    return next();
  }
  const parent = contextOf(request.headers);
  const span = startSpan(`${request.method} request`, { kind: SpanKind.SERVER }, parent);
  response.once('close', () => span.end());
  traceId = span.spanContext().traceId;
  answerTraceId(request, response, traceId);
  context.with(trace.setSpan(parent, span), next);
}

function answerTraceId(request: Request, response: Response, traceId: string): void {
  request.id = traceId;
  response.setHeader('X-Trace-Id', traceId);
}
