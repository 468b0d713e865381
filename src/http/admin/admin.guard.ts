import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { headerOf } from '../node-http';
import { ApiErrors } from '../api-errors';
import { AdminIdentities } from './admin-identities';

/** The security scheme of the admin API in the OpenAPI document (declared in bootstrap.ts). */
export const ADMIN_AUTH = 'admin';

/** A request the AdminGuard let through, with the admin it names. */
export type AdminRequest = FastifyRequest & { admin?: { name: string } };

// RFC 9110 §11.1: the scheme name is case-insensitive.
const BEARER = /^bearer +(\S+) *$/i;

/** Admin endpoints need `Authorization: Bearer <an admin token or JWT>`. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly identities: AdminIdentities) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const credential = BEARER.exec(headerOf(request, 'authorization') ?? '')?.[1];
    if (!credential) {
      throw new UnauthorizedException(
        'Admin endpoints need Authorization: Bearer <an admin token, or a JWT from the identity provider>.',
      );
    }
    request.admin = { name: await this.identities.nameOf(credential) };
    return true;
  }
}

/** Guards a controller or route for admins, and says so in the OpenAPI document. */
export const AdminOnly = () =>
  applyDecorators(
    ApiBearerAuth(ADMIN_AUTH),
    ApiErrors(503, {
      401: 'No admin credential, or one that names no admin.',
      503:
        'The admin API is off (none of ADMIN_TOKENS, ADMIN_TOKEN or ADMIN_JWKS_URL is set), or ' +
        "the identity provider's keys could not be fetched.",
    }),
    UseGuards(AdminGuard),
  );
