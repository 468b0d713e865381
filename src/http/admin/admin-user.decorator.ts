import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AdminRequest } from './admin.guard';

/** Who makes an admin change, for the audit: the admin the credential names (AdminGuard). */
export const AdminUser = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const admin = context.switchToHttp().getRequest<AdminRequest>().admin;
  if (!admin) throw new Error('@AdminUser() needs the AdminGuard on its route.');
  return admin.name;
});
