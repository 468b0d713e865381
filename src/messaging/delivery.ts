import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How a message travels: by a function call inside the request (sync mode), or over Kafka
 * through the outbox (async mode). A handler publishes its own messages the way the message it
 * handles arrived, so an order finishes in the mode it was accepted in.
 */
export type Delivery = 'in-process' | 'kafka';

const deliveries = new AsyncLocalStorage<Delivery>();

export function runWithDelivery<T>(delivery: Delivery, work: () => T): T {
  return deliveries.run(delivery, work);
}

export function currentDelivery(): Delivery | undefined {
  return deliveries.getStore();
}
