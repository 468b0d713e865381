import { QueryRunnerAlreadyReleasedError } from 'typeorm';

/** Socket errors of a server that is gone, refusing, or cut off (Node's `error.code`). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that cannot serve right now: 57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now; class 08, connection exceptions (PostgreSQL docs,
 * Appendix A).
 */
const UNAVAILABLE_STATES = /^(57P0[123]|08...)$/;

/**
 * What node-postgres and pg-pool say when a connection is lost or cannot be had in time, or a
 * query got no answer within DATABASE_QUERY_TIMEOUT_MS (a silent server, or one too loaded to
 * answer: both worth a retry later).
 */
const LOST_CONNECTION = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Query read timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
  // A pooled client closed after its connection failed, asked again before the pool dropped it.
  /^Client was closed and is not queryable$/,
];

/**
 * True when `error` says the database could not be reached (down, restarting, cut off, or no
 * connection to be had in time), as opposed to a query it refused: the first is worth retrying
 * shortly, the second is a bug or a conflict. Looks through TypeORM's `driverError` and
 * Node's AggregateError (a connect tried on several addresses).
 */
export function isConnectionError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { code, message, driverError, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || UNAVAILABLE_STATES.test(code))) {
    return true;
  }
  if (typeof message === 'string' && LOST_CONNECTION.some((lost) => lost.test(message))) {
    return true;
  }
  // TypeORM releases a query runner when its connection fails (PostgresQueryRunner's `error`
  // listener): the runner's next statement fails with this, not with the connection's error.
  if (error instanceof QueryRunnerAlreadyReleasedError) return true;
  if (driverError && driverError !== error && isConnectionError(driverError, depth + 1)) {
    return true;
  }
  return Array.isArray(errors) && errors.some((inner) => isConnectionError(inner, depth + 1));
}
