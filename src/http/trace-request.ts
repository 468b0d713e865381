import { context, SpanKind, trace } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { FastifyInstance } from 'fastify';
import { currentTraceId, contextOf } from '../runtime/tracing/trace-context';
import { startSpan } from '../runtime/tracing/in-span';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Middleware } from './node-http';

/**
 * Gives every request a trace and answers its id in `X-Trace-Id`. With tracing on, the HTTP
 * instrumentation has already opened the request's span (continuing a caller's `traceparent`);
 * without, a span that records nothing does, so logs and messages carry the id all the same.
 */
export const traceRequest: Middleware = (request, response, next) => {
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
};

function answerTraceId(request: IncomingMessage, response: ServerResponse, traceId: string): void {
  request.id = traceId;
  response.setHeader('X-Trace-Id', traceId);
}

/**
 * With tracing on, a request's span is named by its route (`POST /orders/:id/payment-retries`):
 * the HTTP instrumentation names it from the route a framework's instrumentation leaves in the
 * request's RPC metadata, as Express's did, and Fastify has none of its own in the SDK.
 */
export function nameSpansByRoute(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const metadata = getRPCMetadata(context.active());
    if (metadata?.type === RPCType.HTTP) metadata.route = request.routeOptions.url;
    done();
  });
}
