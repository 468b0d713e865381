import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { answerJson, pathOf } from './node-http';

/** Past it, a path parameter is refused by the router (Fastify's default: 100). */
export const MAX_PARAM_LENGTH = 2048;

const SHOWN = 120;

/**
 * What Fastify's router refuses before any middleware runs: a path that does not decode
 * (`/orders/%zz`, 400) or a part of it past MAX_PARAM_LENGTH (414). Answered in the shape of
 * every other error, naming the path cut short and without its query, which may hold a token.
 */
export function answerUnroutable(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode ?? 500;
  const path = pathOf(request.raw);
  const shown = path.length > SHOWN ? `${path.slice(0, SHOWN)}…` : path;
  const messages: Record<string, string> = {
    FST_ERR_BAD_URL: `The path ${shown} does not decode: a % must start an escape such as %20.`,
    FST_ERR_MAX_PARAM_LENGTH: `A part of the path ${shown} is longer than ${MAX_PARAM_LENGTH} characters.`,
  };
  const name = STATUS_CODES[status] ?? 'Error';
  answerJson(reply, status, {
    statusCode: status,
    error: name,
    message: messages[error.code] ?? name,
  });
}
