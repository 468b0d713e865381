import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Request } from 'express';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { secretMatches } from '../../http/secret-matches';

/** Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>`. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.admin.token;
    if (!expected) {
      throw new ServiceUnavailableException('The admin API is off: set ADMIN_TOKEN to turn it on.');
    }
    const given = context.switchToHttp().getRequest<Request>().header('authorization') ?? '';
    const token = given.startsWith('Bearer ') ? given.slice(7) : '';
    if (!secretMatches(token, expected)) {
      throw new UnauthorizedException('Admin endpoints need Authorization: Bearer <ADMIN_TOKEN>.');
    }
    return true;
  }
}
