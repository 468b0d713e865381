/**
 * True when a write failed on the named unique constraint (SQLSTATE 23505). TypeORM wraps the
 * driver's error as `driverError`; node-postgres and PGlite both report the code and constraint.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = (error as { driverError?: unknown }).driverError ?? error;
  const { code, constraint: violated } = (cause ?? {}) as { code?: string; constraint?: string };
  return code === '23505' && (violated === undefined || violated === constraint);
}
