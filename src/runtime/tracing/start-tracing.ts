import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

/** What answers /health and /metrics: scraped every few seconds, never part of an order. */
const PROBES = /^\/(health|metrics)(\/|$|\?)/;

/**
 * Whether the standard variables ask for spans to be exported: OTEL_TRACES_EXPORTER names an
 * exporter (otlp, zipkin, console) and OTEL_SDK_DISABLED is not true. The SDK itself would
 * export to OTLP when the variable is unset; here tracing stays off unless it is asked for.
 */
export function exportsSpans(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim());
  return exporters.some((name) => name !== '' && name !== 'none');
}

let sdk: NodeSDK | null = null;
let started = false;

/**
 * Starts OpenTelemetry before anything it instruments is loaded (http, express, Nest, pg). With exporters asked for, the
 * Node SDK records and exports spans (sampler, exporter endpoints, resource: the OTEL_*
 * variables). Without, a provider that records nothing still gives every request and message
 * a W3C trace context, so logs, X-Trace-Id and Kafka headers carry one trace id either way.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): void {
  started = true;
  if (!exportsSpans(env)) {
    new NodeTracerProvider({ sampler: new AlwaysOffSampler() }).register();
    return;
  }
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ? undefined : 'peak-checkout',
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => PROBES.test(request.url ?? ''),
        // Background work (health probes of the gateway, polls) starts no trace of its own.
        requireParentforOutgoingSpans: true,
      }),
      // Each middleware (CORS, helmet, the drain, the body) would be a span of every request.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new NestInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      // No undici (fetch) instrumentation: the one fetch, a worker's callback, has a client span
      // of its own that injects its context (tracing on or off); undici's would add a second
      // traceparent header to the same request.
    ],
  });
  sdk.start();
}

/** Trace ids without spans, for an app built without main.ts (the end-to-end tests). */
export function ensureTraceIds(): void {
  if (!started) startTracing({});
}

/** Exports the spans still buffered; called once the instance has shut down. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
}
