import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { preparingPgDriver } from './prepared-statements';
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
 * Schema changes come only from migrations; `synchronize` stays off. On the server, waiting for
 * a connection and for a query's answer are both bounded, so a lost database fails a request
 * in seconds rather than holding it; `unboundedQueries` lifts the second, for `npm run
 * db:migrate`, whose statements may rightly run long.
 */
export function dataSourceOptions(
  config: AppConfig,
  { unboundedQueries = false } = {},
): DataSourceOptions {
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
      ...(config.database.preparedStatements ? { driver: preparingPgDriver() } : {}),
      extra: {
        // Each query is written as it is asked for, not after the answer before it: how a unit
        // of work sends its last statements with its COMMIT (pipelined-transaction.ts). A connection
        // still serves one transaction at a time; awaiting each query works as without it.
        pipeline: true,
        connectionTimeoutMillis: config.database.connectionTimeoutMs,
        // node-postgres reads 0 as "wait for ever". The server cancels a statement past the
        // bound (a query error, 57014); the client's own bound, a second later, only catches a
        // server that stopped answering, and leaves its connection busy.
        statement_timeout: unboundedQueries ? 0 : config.database.queryTimeoutMs,
        query_timeout: unboundedQueries ? 0 : config.database.queryTimeoutMs + 1000,
      },
    };
  }
  const { dataDir } = config.database;
  if (dataDir !== 'memory://') mkdirSync(dataDir, { recursive: true });
  return { ...common, driver: serializedPGliteDriver(dataDir) };
}
