import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { headerOf } from './node-http';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { secretMatches } from './secret-matches';

export const INTERNAL_SECRET_HEADER = 'x-internal-secret';

/** Endpoints one instance calls on another carry the shared INTERNAL_SECRET. */
@Injectable()
export class InternalSecretGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const given =
      headerOf(context.switchToHttp().getRequest<FastifyRequest>(), INTERNAL_SECRET_HEADER) ?? '';
    if (!secretMatches(given, this.config.callbacks.internalSecret)) {
      throw new UnauthorizedException('Internal endpoint: the X-Internal-Secret does not match.');
    }
    return true;
  }
}
