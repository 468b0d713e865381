import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Request } from 'express';
import { AdminIdentities } from './admin-identities';

/** The security scheme of the admin API in the OpenAPI document (declared in bootstrap.ts). */
export const ADMIN_AUTH = 'admin';

/** A request the AdminGuard let through, with the admin it names. */
export type AdminRequest = Request & { admin?: { name: string } };

// RFC 9110 §11.1: the scheme name is case-insensitive.
const BEARER = /^bearer +(\S+) *$/i;

/** Admin endpoints need `Authorization: Bearer <an admin token or JWT>`. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly identities: AdminIdentities) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const credential = BEARER.exec(request.header('authorization') ?? '')?.[1];
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
    ApiUnauthorizedResponse({ description: 'No admin credential, or one that names no admin.' }),
    UseGuards(AdminGuard),
  );
