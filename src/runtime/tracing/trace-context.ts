import {
  Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  TextMapGetter,
  trace,
} from '@opentelemetry/api';

/** Headers as they come: HTTP's strings, Kafka's buffers, either maybe repeated. */
type Carrier = Record<string, string | Buffer | (string | Buffer)[] | undefined>;

const carrierGetter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : String(value);
  },
};

/** The trace id of the work in progress (W3C: 32 hex digits), if any. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The W3C `traceparent` of the work in progress, for a message to carry; undefined outside one. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Adds the work in progress's `traceparent` (and `tracestate`) to outgoing headers. */
export function withTraceHeaders<T extends Record<string, string>>(
  headers: T,
  of: Context = context.active(),
): T {
  propagation.inject(of, headers);
  return headers;
}

/** The trace context that incoming headers (HTTP or Kafka) or a message carry, if any. */
export function contextOf(carrier: Carrier | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, carrier ?? {}, carrierGetter);
}
