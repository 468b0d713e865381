import { applyDecorators } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorBody } from './error-body';

/** The statuses the API refuses a request with, each answered with an ErrorBody. */
export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

/** A route's own cases of a status, in a sentence each. */
export type ErrorCases = Partial<Record<ErrorStatus, string>>;

/** What a status means wherever it is answered, for a route that has nothing more to say. */
const MEANING = {
  400: 'The request is invalid; `message` says what to change: one sentence, or one per field.',
  413: 'The body is larger than BODY_LIMIT once decompressed.',
  415: 'The body is not `application/json`.',
  503:
    'The instance is shutting down (retry: another instance answers), or the database is ' +
    'unreachable (retry after Retry-After).',
} satisfies ErrorCases;

export type UsualError = keyof typeof MEANING;

/**
 * Every route answers its usual 503: an instance shuts down, a database fails over (declared
 * for all in bootstrap.ts). A route with a 503 of its own replaces that declaration, so it lists
 * 503 among its errors as well as its own cases.
 */
export const EVERY_ROUTE_503 = {
  status: 503,
  description: MEANING[503],
  type: ErrorBody,
};

const errorBody = { 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } };

/**
 * Declares the error statuses a route (or each route of a controller) answers, with the
 * ErrorBody they come with: a status alone with its usual meaning, or a route's own cases.
 * Declarations of one status add up into one response, its cases a paragraph each. The body
 * is JSON whatever the route produces: an event stream refused never starts.
 */
export function ApiErrors(
  ...declared: (UsualError | ErrorCases)[]
): ClassDecorator & MethodDecorator {
  // A route's own cases first, then what the status means everywhere.
  const own = declared.filter((given) => typeof given === 'object');
  const usual = declared.filter((given) => typeof given === 'number');
  const cases = new Map<number, string[]>();
  for (const [status, text] of [
    ...own.flatMap((given) => Object.entries(given)),
    ...usual.map((status) => [status, MEANING[status]] as const),
  ]) {
    cases.set(Number(status), [...(cases.get(Number(status)) ?? []), text]);
  }
  const responses = applyDecorators(
    ApiExtraModels(ErrorBody),
    ...[...cases].map(([status, texts]) =>
      ApiResponse({ status, description: texts.join('\n\n'), content: errorBody }),
    ),
  );
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key !== undefined && descriptor) return responses(target, key, descriptor);
    // On a controller, declared on each of its routes: a response declared on a controller is
    // replaced by the route's own of the same status, where these cases should add to it.
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const route = Object.getOwnPropertyDescriptor(prototype, name)!;
      const handler: unknown = route.value;
      if (typeof handler !== 'function' || name === 'constructor') continue;
      if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      responses(prototype, name, route);
    }
  };
}
