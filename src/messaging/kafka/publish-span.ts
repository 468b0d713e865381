import { Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { startSpan } from '../../runtime/tracing/in-span';
import { contextOf } from '../../runtime/tracing/trace-context';
import { Envelope } from '../envelope';

/**
 * The producer span of one message, a child of the work that sealed it (its envelope's
 * `traceparent`, kept through the outbox), not of the relay pass that happens to publish it:
 * one send carries many orders' messages, so each gets a span of its own (which is also why
 * @opentelemetry/instrumentation-kafkajs, which parents a send's messages on the sender, is
 * not used).
 */
export function publishSpanOf(envelope: Envelope, topic: string): Span {
  return startSpan(
    `publish ${envelope.type}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        'messaging.message.id': envelope.id,
        'messaging.kafka.message.key': envelope.key,
      },
    },
    contextOf({ traceparent: envelope.traceparent }),
  );
}

/** Ends the span of a message the broker acknowledged, with where it landed when known. */
export function endLanded(span: Span, landing: { partition: number; offset: string } | null): void {
  if (landing) {
    span.setAttribute('messaging.destination.partition.id', String(landing.partition));
    span.setAttribute('messaging.kafka.offset', Number(landing.offset));
  }
  span.end();
}

export function endFailed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
  span.end();
}
