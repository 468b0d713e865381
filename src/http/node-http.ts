import type { FastifyReply } from 'fastify';
import { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A middleware as the app's are written: on Node's request and response, which is what Fastify
 * (through @fastify/middie) hands every middleware, Nest's and ours alike.
 */
export type Middleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** The request's path, without its query. */
export function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** One header's value; a header sent twice is read as Node joins it. */
export function headerOf(request: { headers: IncomingMessage['headers'] }, name: string) {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Answers a JSON body from wherever the request is: a middleware holds Node's response, a
 * route's filter Fastify's reply (whose own headers, set by hooks, it must keep).
 */
export function answerJson(
  response: ServerResponse | FastifyReply,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  if (!(response instanceof ServerResponse)) {
    void response.code(status).headers(headers).send(body);
    return;
  }
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}
