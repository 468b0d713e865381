import {
  BadRequestException,
  HttpException,
  Inject,
  Injectable,
  NestMiddleware,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { json } from 'body-parser';
import type { FastifyInstance } from 'fastify';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import typeIs from 'type-is';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { bodyShapeProblem } from './body-shape';
import { Middleware } from './node-http';

/**
 * What body-parser and raw-body fail with (body-parser's README, "Errors"): an http-errors
 * error with a status and, except for a body that would not decompress, a type.
 */
interface BodyReadError extends Error {
  status: number;
  type?: string;
  limit?: number;
  charset?: string;
  encoding?: string;
  expected?: number;
  received?: number;
}

function isBodyReadError(error: unknown): error is BodyReadError {
  return typeof (error as Partial<BodyReadError> | null)?.status === 'number';
}

/** A client's request carries a body when it says so, by its length or by chunks. */
function carriesBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

/** Why a body could not be read, said so the client knows what to change. */
function messageOf(error: BodyReadError, request: IncomingMessage): string {
  switch (error.type) {
    case 'entity.too.large':
      return `Request body is larger than the limit of ${error.limit} bytes.`;
    case 'entity.parse.failed':
      return `The body is not valid JSON: ${error.message}`;
    case 'charset.unsupported':
      return `Charset ${error.charset} is not supported: send the body as UTF-8.`;
    case 'encoding.unsupported':
      return `Content-Encoding ${error.encoding} is not supported: send the body as it is, or gzip, deflate or br.`;
    case 'request.aborted':
      return 'The request was aborted before its body had arrived.';
    case 'request.size.invalid':
      return `The body has ${error.received} bytes where Content-Length says ${error.expected}.`;
    case undefined:
      return `The body does not decompress as ${request.headers['content-encoding']}: ${error.message}.`;
    default:
      return error.message;
  }
}

/**
 * A body the client got wrong becomes an HTTP error in the shape of every other one, which Nest
 * answers without logging it as a server error. A 5xx (a stream already read by someone else)
 * stays what it is: ours to fix.
 */
export function clientErrorOf(error: unknown, request: IncomingMessage): unknown {
  if (!isBodyReadError(error) || error.status >= 500) return error;
  const status = error.status;
  return new HttpException(
    { statusCode: status, error: STATUS_CODES[status], message: messageOf(error, request) },
    status,
  );
}

/**
 * How the API takes a request body: JSON only (anything else is a 415, not field errors about
 * a body that was never read), at most `limit` once decompressed, at most `maxDepth` objects
 * and arrays deep, and without keys validation would never see.
 */
export function jsonBody({ limit, maxDepth }: { limit: string; maxDepth: number }): Middleware {
  const parse = json({ limit });
  return (request: IncomingMessage & { body?: unknown }, response, next) => {
    if (!carriesBody(request)) {
      // Nothing to read, so nothing to say of it: Fastify would refuse a malformed type anyway.
      delete request.headers['content-type'];
      return next();
    }
    if (!typeIs(request, ['application/json'])) {
      const given = request.headers['content-type'] ?? 'no Content-Type';
      return next(
        new UnsupportedMediaTypeException(
          `Send the body as JSON with Content-Type: application/json (got ${given}).`,
        ),
      );
    }
    parse(request, response, (error?: unknown) => {
      if (error) return next(clientErrorOf(error, request));
      const problem = bodyShapeProblem(request.body, maxDepth);
      if (problem?.kind === 'too_deep') {
        return next(
          new BadRequestException(
            `The body is nested too deeply: at most ${problem.maxDepth} levels of objects and arrays.`,
          ),
        );
      }
      if (problem?.kind === 'forbidden_key') {
        // Worded and shaped as the ValidationPipe refuses any other unknown field.
        return next(new BadRequestException([`property ${problem.key} should not exist`]));
      }
      if (problem?.kind === 'nul_character') {
        return next(
          new BadRequestException('The body has a string with a NUL character (\\u0000) in it.'),
        );
      }
      next();
    });
  };
}

/**
 * jsonBody as a Nest middleware: it runs after the access log has started (nestjs-pino's
 * middleware, of a global module, comes first), so a refused body is logged as a request.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  readonly use: Middleware;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.use = jsonBody({ limit: config.http.bodyLimit, maxDepth: config.http.bodyMaxDepth });
  }
}

/**
 * Fastify takes each body as jsonBody read it: its own parsers would read the stream again (and
 * refuse what jsonBody answers in its own words).
 */
export function takeBodiesFromJsonBody(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    done(null, (request.raw as { body?: unknown }).body);
  });
}
