/**
 * The deadline of an order waiting for its payment, in the database's clock (every instance
 * compares against the same one): past it with no result, the message counts as lost.
 */
export function watchFromNow(windowMs: number): () => string {
  return () => watchUntilSql(String(windowMs / 1000));
}

/** The same deadline as SQL, with the window in seconds given by `seconds` (a `$n` parameter). */
export function watchUntilSql(seconds: string): string {
  return `now() + make_interval(secs => ${seconds}::float8)`;
}
