import { createHash } from 'node:crypto';

/**
 * SHA-256 of a request body, to tell a replay from a different request under a used key.
 * Same body, same hash: keys are sorted so field order does not matter.
 */
export function requestHashOf(request: object): string {
  const canonical = JSON.stringify(request, Object.keys(request).sort());
  return createHash('sha256').update(canonical).digest('hex');
}
