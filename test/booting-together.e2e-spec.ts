import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { AppProcess, BUILT_SERVER, freePort } from './support/app-process';
import { serverUrl } from './support/database-url';
import { dropDatabases, freshDatabase } from './support/fresh-database';

const INSTANCES = 4;
const MIGRATE = join(BUILT_SERVER, '..', 'database', 'migrate.js');
const execute = promisify(execFile);

/**
 * A deployment starts its instances at once, on a new database or on one a release behind:
 * each migrates at boot, and all must come up with the schema built once.
 */
describe(`${INSTANCES} instances booting together`, () => {
  const databases: string[] = [];

  afterAll(async () => {
    await dropDatabases(serverUrl(), databases);
  });

  async function newDatabase(purpose: string): Promise<string> {
    const name = `peak_checkout_boot_${purpose}_${process.pid}`;
    databases.push(name);
    return freshDatabase(serverUrl(), name);
  }

  it(`migrates a new database with npm run db:migrate run ${INSTANCES} times at once`, async () => {
    const url = await newDatabase('migrate');
    const runs = await Promise.allSettled(
      Array.from({ length: INSTANCES }, () =>
        execute(process.execPath, [MIGRATE], {
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: url },
          timeout: 60_000,
        }),
      ),
    );
    const failures = runs.flatMap((run) =>
      run.status === 'rejected' ? [String((run.reason as { stderr?: string }).stderr)] : [],
    );
    expect(failures).toEqual([]);
    const printed = runs.map((run) => (run.status === 'fulfilled' ? run.value.stdout : ''));
    expect(printed.filter((out) => out.startsWith('Applied '))).toHaveLength(1);
    expect(printed.filter((out) => out === 'Schema is up to date.\n')).toHaveLength(INSTANCES - 1);
    await expectSchemaOnce(url);
  });

  it('brings up every instance started at once on a new database', async () => {
    const url = await newDatabase('fresh');
    await bootTogether(url);
    await expectSchemaOnce(url);
    const [{ products }] = await query<{ products: number }>(
      url,
      `SELECT count(*)::int AS products FROM products`,
    );
    expect(products).toBe(5);
  }, 120_000);

  it('brings up every instance started at once on a database a release behind', async () => {
    const url = await newDatabase('older');
    const dataSource = new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: url })));
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
      for (let i = 0; i < 3; i++) await dataSource.undoLastMigration();
    } finally {
      await dataSource.destroy();
    }
    await bootTogether(url);
    await expectSchemaOnce(url);
  }, 120_000);
});

/** Starts the instances at the same moment; each must answer ready, none may crash. */
async function bootTogether(url: string): Promise<void> {
  const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
  const instances = ports.map((port) =>
    AppProcess.start({ DATABASE_URL: url, LOG_LEVEL: 'warn', SETTINGS_POLL_MS: '500' }, port),
  );
  try {
    const ready = await Promise.allSettled(instances.map(readyOrExited));
    const failures = ready.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
  } finally {
    const stopped = await Promise.all(instances.map((instance) => instance.stop()));
    expect(stopped).toEqual(instances.map(() => true));
  }
}

/** Ready, or failed with what it printed as soon as it exits (a boot that crashed). */
async function readyOrExited(instance: AppProcess): Promise<void> {
  const exited = instance.exitCode().then((code) => {
    throw new Error(`Exited with ${code}:\n${instance.output.join('\n')}`);
  });
  await Promise.race([instance.ready(60_000), exited]);
}

/** Every migration recorded once, and every table of the schema there. */
async function expectSchemaOnce(url: string): Promise<void> {
  const migrations = await query<{ name: string; times: number }>(
    url,
    `SELECT name, count(*)::int AS times FROM migrations GROUP BY name ORDER BY name`,
  );
  const files = readdirSync(join(__dirname, '..', 'migrations')).filter((f) => f.endsWith('.ts'));
  expect(migrations).toHaveLength(files.length);
  expect(migrations.filter((m) => m.times !== 1)).toEqual([]);
  const [{ tables }] = await query<{ tables: number }>(
    url,
    `SELECT count(*)::int AS tables FROM information_schema.tables WHERE table_schema = 'public'`,
  );
  expect(tables).toBeGreaterThanOrEqual(19);
}

async function query<Row>(url: string, sql: string): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}
