import { createHmac } from 'node:crypto';
import { secretMatches } from './secret-matches';

const SEAL = 'fleet';

/**
 * A `replyTo` address sealed with the fleet's INTERNAL_SECRET, so that a worker calls back (and
 * hands the secret to) only an address one of its own fleet published. A seal, not a list of
 * known instances in the database: it needs no lookup, covers an instance that has not
 * reported yet, and nobody without the secret can make one, whatever they put on the topic.
 */
export function sealReplyTo(address: string, secret: string): string {
  const url = new URL(address);
  url.searchParams.set(SEAL, sealOf(url, secret));
  return url.href;
}

/** The address to call back, without its seal; null when the fleet's secret did not seal it. */
export function unsealReplyTo(replyTo: string, secret: string): string | null {
  let url: URL;
  try {
    url = new URL(replyTo);
  } catch {
    return null;
  }
  const seal = url.searchParams.get(SEAL) ?? '';
  if (!secretMatches(seal, sealOf(url, secret))) return null;
  return unsealed(url).href;
}

function sealOf(url: URL, secret: string): string {
  return createHmac('sha256', secret)
    .update(`replyTo ${unsealed(url).href}`)
    .digest('base64url');
}

function unsealed(url: URL): URL {
  const copy = new URL(url);
  copy.searchParams.delete(SEAL);
  return copy;
}
