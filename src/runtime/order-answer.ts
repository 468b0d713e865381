import type { FastifyReply } from 'fastify';
import { ServerResponse } from 'node:http';

/** What an answer that placed an order says of it, for the access log and the accept timer. */
export interface OrderAnswer {
  orderId: string;
  checkoutMode: string;
}

// Keyed by Node's response: the access log and the accept timer are middleware, and see only it.
const answers = new WeakMap<ServerResponse, OrderAnswer>();

export function recordOrderAnswer(reply: FastifyReply, answer: OrderAnswer): void {
  answers.set(reply.raw, answer);
}

export function orderAnswerOf(response: ServerResponse): OrderAnswer | undefined {
  return answers.get(response);
}
