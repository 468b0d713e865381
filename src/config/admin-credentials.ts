/** A token and the name the audit trail records for whoever presents it. */
export interface NamedToken {
  name: string;
  token: string;
}

/** JWTs from the company's identity provider, verified against the keys it publishes. */
export interface AdminJwtConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The claim that names the admin in the audit trail. */
  nameClaim: string;
}

/** The audit trail's columns hold 64 characters. */
export const ADMIN_NAME = /^[\w.@+-]{1,64}$/;
const MIN_TOKEN_LENGTH = 16;

/**
 * Reads ADMIN_TOKENS (`name:token,…`) and ADMIN_TOKEN (one token, named "admin"). A name may
 * hold several tokens (a rotation under way); a token held by two names would leave the audit
 * unable to tell them apart. Problems name the entry, never its token.
 */
export function namedTokens(
  tokens: string | undefined,
  single: string | undefined,
): { tokens: NamedToken[]; problems: string[] } {
  const named: NamedToken[] = single ? [{ name: 'admin', token: single }] : [];
  const problems: string[] = [];
  const entries = tokens === undefined ? [] : tokens.split(',');
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const name = colon < 0 ? '' : entry.slice(0, colon).trim();
    const token = colon < 0 ? '' : entry.slice(colon + 1).trim();
    const which = `ADMIN_TOKENS entry ${index + 1}${name ? ` (${name})` : ''}`;
    if (!ADMIN_NAME.test(name)) {
      problems.push(`${which}: name:token, the name 1-64 letters, digits or . _ @ + -`);
    } else if (token.length < MIN_TOKEN_LENGTH) {
      problems.push(`${which}: a token of at least ${MIN_TOKEN_LENGTH} characters`);
    } else {
      named.push({ name, token });
    }
  }
  for (const [index, { name, token }] of named.entries()) {
    const other = named.findIndex((earlier) => earlier.token === token);
    if (other < index) {
      problems.push(
        `ADMIN_TOKENS: ${name} and ${named[other].name} share a token: give each name its own`,
      );
    }
  }
  return { tokens: named, problems };
}
