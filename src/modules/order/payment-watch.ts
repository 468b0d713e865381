/**
 * The deadline of an order waiting for its payment, in the database's clock (every instance
 * compares against the same one): past it with no result, the message counts as lost.
 */
export function watchFromNow(windowMs: number): () => string {
  return () => `now() + make_interval(secs => ${windowMs / 1000})`;
}
