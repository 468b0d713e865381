import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The trace id of the work in progress: set from the HTTP request (or an incoming message's
 * envelope), stamped on every outgoing envelope and on every log line.
 */
const traces = new AsyncLocalStorage<string>();

export function runWithTrace<T>(traceId: string, work: () => T): T {
  return traces.run(traceId, work);
}

export function currentTraceId(): string | undefined {
  return traces.getStore();
}
