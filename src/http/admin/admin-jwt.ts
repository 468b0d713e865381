import type { JWTVerifyGetKey } from 'jose';
import { AdminJwtConfig, ADMIN_NAME } from '../../config/admin-credentials';

/** Why a JWT was not taken: refused (401), or the provider's keys could not be had (503). */
export class AdminJwtRefused extends Error {
  constructor(
    message: string,
    readonly providerUnavailable = false,
  ) {
    super(message);
  }
}

/**
 * Verifies an admin's JWT against the keys the identity provider publishes (ADMIN_JWKS_URL,
 * fetched when first needed, cached, and fetched again for a key id it has not seen), its issuer,
 * audience and lifetime; returns the name its ADMIN_JWT_NAME_CLAIM gives.
 */
export class AdminJwtVerifier {
  private keys: JWTVerifyGetKey | null = null;

  constructor(private readonly config: AdminJwtConfig) {}

  async nameIn(token: string): Promise<string> {
    // jose is ESM only: import() is how this CommonJS build loads it.
    const { createRemoteJWKSet, errors, jwtVerify } = await import('jose');
    this.keys ??= createRemoteJWKSet(new URL(this.config.jwksUrl));
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError && !(error instanceof errors.JWKSTimeout)) {
        throw new AdminJwtRefused(`The JWT was refused: ${error.message}.`);
      }
      throw new AdminJwtRefused(
        `The identity provider's keys could not be fetched from ${this.config.jwksUrl}: ${String(error)}`,
        true,
      );
    }
    const name = payload[this.config.nameClaim];
    if (typeof name !== 'string' || !ADMIN_NAME.test(name)) {
      throw new AdminJwtRefused(
        `The JWT's ${this.config.nameClaim} claim does not name an admin ` +
          '(1-64 letters, digits or . _ @ + -).',
      );
    }
    return name;
  }
}
