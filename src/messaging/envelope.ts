import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { InvalidMessageError } from './invalid-message.error';
import { currentTraceId, currentTraceparent } from '../runtime/tracing/trace-context';
import { Topic } from './topics';

/** What travels on a topic: a versioned body wrapped with the facts every consumer needs. */
export interface Envelope<Body = unknown> {
  /** Unique per message; consumers de-duplicate on it. */
  id: string;
  type: Topic;
  version: number;
  occurredAt: string;
  /** The W3C trace id of the work that sealed it, for the logs of every instance it reaches. */
  traceId: string;
  /**
   * The W3C `traceparent` of the work that sealed it: the outbox keeps it, and the message's
   * publish continues that trace. Absent from messages sealed outside any trace.
   */
  traceparent?: string;
  /** Partition key: the order id, so one order's messages stay in order. */
  key: string;
  body: Body;
}

export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  traceId: z.string().min(1),
  traceparent: z.string().max(512).optional(),
  key: z.string().min(1),
  body: z.unknown(),
});

/** A message contract: topic, version and body schema, validated on both ends. */
export interface Contract<Body> {
  readonly topic: Topic;
  readonly version: number;
  readonly schema: z.ZodType<Body>;
  readonly keyOf: (body: Body) => string;
}

export function defineContract<Body>(contract: Contract<Body>): Contract<Body> {
  return contract;
}

/**
 * Wraps a body that its contract accepts; throws if the body breaks the contract. Give `id`
 * when the same fact may be published again (a re-emitted result) so consumers drop the copy.
 */
export function seal<Body>(contract: Contract<Body>, body: Body, id?: string): Envelope<Body> {
  const valid = contract.schema.parse(body);
  return {
    id: id ?? randomUUID(),
    type: contract.topic,
    version: contract.version,
    occurredAt: new Date().toISOString(),
    traceId: currentTraceId() ?? randomBytes(16).toString('hex'),
    traceparent: currentTraceparent(),
    key: contract.keyOf(valid),
    body: valid,
  };
}

/** What a schema found wrong, one line per issue, under `prefix` (a path such as body.). */
export function issuesOf(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => `${prefix}${issue.path.join('.')}: ${issue.message}`);
}

/** Reads a raw record as an envelope, or throws an InvalidMessageError saying why not. */
export function parseEnvelope(raw: string, source: string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidMessageError(source, ['the record is not JSON']);
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) throw new InvalidMessageError(source, issuesOf(parsed.error));
  return parsed.data as Envelope;
}
