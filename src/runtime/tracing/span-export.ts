import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { isProbe } from '../probes';

/**
 * Starts the Node SDK, which records spans and exports them as the OTEL_* variables say
 * (exporter, endpoint, sampler, resource), with the instrumentations of http, Nest and pg.
 */
export function startSpanExport(env: NodeJS.ProcessEnv): NodeSDK {
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ? undefined : 'peak-checkout',
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => isProbe(request.url),
        // Background work (health probes of the gateway, polls) starts no trace of its own.
        requireParentforOutgoingSpans: true,
      }),
      new NestInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      // No undici (fetch) instrumentation: the one fetch, a worker's callback, has a client span
      // of its own that injects its context (tracing on or off); undici's would add a second
      // traceparent header to the same request.
    ],
  });
  sdk.start();
  return sdk;
}
