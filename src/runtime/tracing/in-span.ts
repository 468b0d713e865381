import { Context, context, Span, SpanOptions, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('peak-checkout');

/**
 * Runs `work` in a span of its own, the current one's child (or `parent`'s): ended when the
 * work settles, marked as an error with the exception when it throws.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs synchronous `work` in a span of its own, the current one's child. */
export function inSpanNow<T>(name: string, options: SpanOptions, work: (span: Span) => T): T {
  return tracer.startActiveSpan(name, options, (span) => {
    try {
      return work(span);
    } finally {
      span.end();
    }
  });
}

/** A span for a wait already over, from `startedAt` to `endedAt` (epoch ms). */
export function spanBetween(name: string, startedAt: number, endedAt: number): void {
  tracer.startSpan(name, { startTime: startedAt }).end(endedAt);
}

/** Starts a span the caller ends (work that spans callbacks, such as a batch's publish). */
export function startSpan(name: string, options: SpanOptions, parent: Context): Span {
  return tracer.startSpan(name, options, parent);
}
