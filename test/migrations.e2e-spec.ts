import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { serverUrl } from './support/database-url';
import { dropDatabases, freshDatabase } from './support/fresh-database';

const OWNED_TABLES = [
  'cart_items',
  'dead_letters',
  'fraud_blocklist',
  'fraud_decisions',
  'fraud_rules',
  'instance_reports',
  'notifications',
  'order_lines',
  'order_timeline',
  'orders',
  'outbox',
  'payment_retries',
  'payments',
  'processed_messages',
  'products',
  'runtime_setting_changes',
  'runtime_settings',
  'stock_reservations',
];

describe('schema migrations', () => {
  const database = `peak_checkout_migrations_${process.pid}`;
  let dataSource: DataSource;

  beforeAll(async () => {
    const url = await freshDatabase(serverUrl(), database);
    dataSource = new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: url })));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabases(serverUrl(), [database]);
  });

  const tables = async () =>
    (
      await dataSource.query<{ table_name: string }[]>(
        `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY table_name`,
      )
    ).map((row) => row.table_name);

  it('builds the whole schema from nothing, then has nothing pending', async () => {
    const applied = await dataSource.runMigrations();
    expect(applied.length).toBe(dataSource.migrations.length);
    expect(await tables()).toEqual(OWNED_TABLES);
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('undoes every migration back to an empty schema, and applies them again', async () => {
    for (let i = 0; i < dataSource.migrations.length; i++) await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);
    await dataSource.runMigrations();
    expect(await tables()).toEqual(OWNED_TABLES);
  });
});
