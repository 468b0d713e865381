import {
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { secretMatches } from '../secret-matches';
import { AdminJwtRefused, AdminJwtVerifier } from './admin-jwt';

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Tells who presents an admin credential: the name bound to an admin token (ADMIN_TOKENS,
 * ADMIN_TOKEN as "admin"), or the name a JWT from the identity provider carries. The audit
 * trail records that name, never one the caller merely claims.
 */
@Injectable()
export class AdminIdentities {
  private readonly jwt: AdminJwtVerifier | null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.jwt = config.admin.jwt ? new AdminJwtVerifier(config.admin.jwt) : null;
  }

  /** Throws 401 for a credential that names no admin, 503 when no credential is configured. */
  async nameOf(credential: string): Promise<string> {
    const { tokens } = this.config.admin;
    if (tokens.length === 0 && !this.jwt) {
      throw new ServiceUnavailableException(
        'The admin API is off: set ADMIN_TOKENS, ADMIN_TOKEN or ADMIN_JWKS_URL to turn it on.',
      );
    }
    // Every token is compared, so the time taken says nothing of which one nearly matched.
    const matches = tokens.filter(({ token }) => secretMatches(credential, token));
    if (matches.length > 0) return matches[0].name;
    if (this.jwt && JWT.test(credential)) {
      try {
        return await this.jwt.nameIn(credential);
      } catch (error) {
        if (!(error instanceof AdminJwtRefused)) throw error;
        if (error.providerUnavailable) throw new ServiceUnavailableException(error.message);
        throw new UnauthorizedException(error.message);
      }
    }
    throw new UnauthorizedException(
      'Admin endpoints need Authorization: Bearer <an admin token, or a JWT from the identity provider>.',
    );
  }
}
