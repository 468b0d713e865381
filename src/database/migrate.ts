import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { runMigrationsOnce } from './migrations-under-lock';

/** `npm run db:migrate`: applies pending migrations to the configured database and exits. */
async function migrate(): Promise<void> {
  const config = loadConfig();
  const dataSource = new DataSource(dataSourceOptions(config, { unboundedQueries: true }));
  await dataSource.initialize();
  try {
    const applied = await runMigrationsOnce(dataSource, config);
    console.log(
      applied.length === 0
        ? 'Schema is up to date.'
        : `Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`,
    );
  } finally {
    await dataSource.destroy();
  }
}

migrate().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(error instanceof ConfigError ? 78 : 1);
});
