import { Client } from 'pg';
import { DataSource, Migration } from 'typeorm';
import { AppConfig } from '../config/app-config';

/**
 * The advisory lock every instance takes before migrating: any fixed number the fleet agrees
 * on (here "peakmigr" in ASCII); advisory locks are per database.
 */
const MIGRATION_LOCK = '8098986618920724338';

/**
 * Applies pending migrations once however many instances boot together: on a PostgreSQL
 * server each takes `pg_advisory_lock` on a connection of its own first, so the second waits
 * for the first to finish and then finds nothing pending (without it, two instances creating
 * the same table at once fail on `pg_type_typname_nsp_index`). PGlite lives in one process:
 * there is no one to race.
 */
export async function runMigrationsOnce(
  dataSource: DataSource,
  config: AppConfig,
): Promise<Migration[]> {
  if (config.database.kind !== 'postgres') return dataSource.runMigrations();
  const lock = new Client({
    connectionString: config.database.url,
    connectionTimeoutMillis: config.database.connectionTimeoutMs,
    application_name: 'peak-checkout migrations',
  });
  // A connection lost while waiting fails the query below; this only keeps it from crashing.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    return await dataSource.runMigrations();
  } finally {
    // Ending the session releases the lock too; unlocking first frees it even if `end` stalls.
    await lock
      .query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK])
      .catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}
