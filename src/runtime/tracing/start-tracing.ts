import type { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

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
 * Starts OpenTelemetry before anything it instruments is loaded. With exporters asked for, the
 * Node SDK records and exports spans (see span-export). Without, a provider that records
 * nothing still gives every request and message a W3C trace context, so logs, X-Trace-Id and
 * Kafka headers carry one trace id either way.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): void {
  started = true;
  if (!exportsSpans(env)) {
    new NodeTracerProvider({ sampler: new AlwaysOffSampler() }).register();
    return;
  }
  // Required only here: the Node SDK and its instrumentations take most of a second to load,
  // which every boot (a replacement worker's, too) would pay with tracing off.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startSpanExport } = require('./span-export') as typeof import('./span-export');
  sdk = startSpanExport(env);
}

/** Trace ids without spans, for an app built without main.ts (the end-to-end tests). */
export function ensureTraceIds(): void {
  if (!started) startTracing({});
}

/** Exports the spans still buffered; called once the instance has shut down. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
}
