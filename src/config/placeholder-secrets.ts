/**
 * Secrets that docker-compose.yml and the docs have shown as examples: anyone can read them
 * there, so they guard nothing.
 */
const PUBLISHED = new Set(['change-me-admin-token', 'change-me-internal-secret']);
const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me/i;

export function isPlaceholderSecret(secret: string): boolean {
  return PUBLISHED.has(secret) || PLACEHOLDER.test(secret);
}

/** Variables whose values never appear in an error message or a log line. */
export const SECRET_VARIABLES = new Set([
  'ADMIN_TOKEN',
  'ADMIN_TOKENS',
  'INTERNAL_SECRET',
  // Its password.
  'DATABASE_URL',
]);
