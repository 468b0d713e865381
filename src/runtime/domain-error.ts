/** How a domain failure reads over HTTP; the filter maps each kind to its status. */
export type DomainErrorKind =
  'not_found' | 'conflict' | 'unprocessable' | 'too_many' | 'unavailable';

/**
 * A failure the caller can understand and act on: its message says what happened and what to
 * do. Services throw these; they never know about HTTP status codes.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
    /** When the caller may try again (a `too_many` or `unavailable` refusal), in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
