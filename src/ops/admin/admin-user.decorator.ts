import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { Request } from 'express';

/** Who makes an admin change, for the audit: the X-Admin-User header, else "admin". */
export const AdminUser = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const given = context.switchToHttp().getRequest<Request>().header('x-admin-user') ?? '';
  return given.trim().slice(0, 64) || 'admin';
});

export const ApiAdminUser = () =>
  ApiHeader({ name: 'X-Admin-User', required: false, description: 'Who acts, for the audit.' });
