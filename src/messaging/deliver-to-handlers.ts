import { BaseRpcContext, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { Delivery, runWithDelivery } from './delivery';
import { Envelope } from './envelope';
import { inSpan } from '../runtime/tracing/in-span';

/**
 * Runs every handler the server has for `pattern`, in a span of the trace in progress (the HTTP
 * request's in-process, the record's from Kafka), and resolves when all of them are done,
 * rejecting with a handler's error. Nest returns several handlers of one pattern as one
 * Observable, which its own event path does not always wait for.
 */
export async function deliverToHandlers(
  server: Pick<Server, 'getHandlers'>,
  pattern: string,
  envelope: Envelope,
  context: BaseRpcContext,
  delivery: Delivery,
): Promise<boolean> {
  // A topic name is its own route. Not getHandlerByPattern: it first parses the pattern as JSON,
  // throwing (and building a stack) for every topic name, at every message.
  const handler = server.getHandlers().get(pattern);
  if (!handler) return false;
  await inSpan(`handle ${pattern}`, { attributes: { 'order.id': envelope.key } }, () =>
    runWithDelivery(delivery, async () => {
      const result: unknown = await handler(envelope, context);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    }),
  );
  return true;
}
