// Loaded first by main.ts: OpenTelemetry patches http, Nest, pg and undici when they
// are required, so it must start before any of them is.
import { startTracing } from './runtime/tracing/start-tracing';

startTracing();
