import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { serializedPGliteDriver } from './serialized-pglite-pool';

/**
 * Compiled, the migrations sit in dist/migrations beside dist/database; in source, migrations/
 * sits beside src/. The same relative path finds them in both.
 */
const MIGRATIONS = join(__dirname, '..', '..', 'migrations', '*.{ts,js}');
const COMPILED_MIGRATIONS = join(__dirname, '..', 'migrations', '*.js');

function migrationsGlob(): string {
  return __filename.endsWith('.ts') ? MIGRATIONS : COMPILED_MIGRATIONS;
}

/**
 * TypeORM options for the PostgreSQL server (DATABASE_URL) or the embedded PGlite default.
 * Schema changes come only from migrations; `synchronize` stays off.
 */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    migrations: [migrationsGlob()],
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
  };
  if (config.database.kind === 'postgres') {
    return {
      ...common,
      url: config.database.url,
      poolSize: config.database.poolSize,
      extra: { connectionTimeoutMillis: config.database.connectionTimeoutMs },
    };
  }
  const { dataDir } = config.database;
  if (dataDir !== 'memory://') mkdirSync(dataDir, { recursive: true });
  return { ...common, driver: serializedPGliteDriver(dataDir) };
}
