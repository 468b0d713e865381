import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import {
  PLANNED_AT_EACH_CALL,
  PREPARED_PER_CONNECTION,
  preparedNameOf,
} from '../src/database/prepared-statements';
import { E2E_DATABASE_ENV } from './support/database-url';

/** A data source of one connection, so every query below runs on the same one. */
async function oneConnection(env: Record<string, string> = {}): Promise<DataSource> {
  const url = process.env[E2E_DATABASE_ENV]!;
  const config = loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '1', ...env });
  return new DataSource(dataSourceOptions(config)).initialize();
}

/** What this connection has prepared, as PostgreSQL sees it. */
async function preparedOn(dataSource: DataSource): Promise<Map<string, string>> {
  const rows = await dataSource.query<{ name: string; statement: string }[]>(
    `SELECT name, statement FROM pg_prepared_statements`,
  );
  return new Map(rows.map((row) => [row.name, row.statement]));
}

describe('prepared statements', () => {
  let dataSource: DataSource;

  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
  });

  it('prepares a parameterized statement once per connection, under a name its text gives', async () => {
    dataSource = await oneConnection();
    const text = `SELECT $1::int + 1 AS next`;
    const answers = [];
    for (const n of [1, 2, 3]) answers.push(await dataSource.query(text, [n]));
    expect(answers).toEqual([[{ next: 2 }], [{ next: 3 }], [{ next: 4 }]]);
    const prepared = await preparedOn(dataSource);
    expect(prepared.get(preparedNameOf(text))).toBe(text);
    expect([...prepared.keys()].filter((name) => name === preparedNameOf(text))).toHaveLength(1);
  });

  it('leaves statements without parameters as they are: several in one text still run', async () => {
    dataSource = await oneConnection();
    await dataSource.query(`SELECT 1; SELECT 2`);
    await dataSource.transaction(async (manager) => {
      await manager.query(`SELECT $1::text`, ['inside a transaction']);
    });
    const names = [...(await preparedOn(dataSource)).keys()];
    expect(names).toEqual([preparedNameOf(`SELECT $1::text`)]);
  });

  it('plans a statement marked planned at each call anew each time, by its table as it is now', async () => {
    dataSource = await oneConnection();
    const table = `planned_probe_${process.pid}`;
    // As wide as a notice: the width is what the planner weighs a scan of it by.
    await dataSource.query(
      `CREATE TEMPORARY TABLE ${table} (
         id int PRIMARY KEY, order_id uuid, user_id varchar(64), kind varchar(64),
         body text, note text, created_at timestamptz)`,
    );
    const update = (marked: boolean) =>
      `${marked ? PLANNED_AT_EACH_CALL : ''}
       UPDATE ${table} t SET note = s.note
         FROM unnest($1::int[], $2::text[]) AS s (id, note) WHERE t.id = s.id`;
    // While the table is empty, as a fresh deployment's is when its first orders come.
    for (let n = 0; n < 10; n++) {
      for (const marked of [true, false]) {
        await dataSource.query(update(marked), [
          [n, n + 10, n + 20],
          ['x', 'y', 'z'],
        ]);
      }
    }
    await dataSource.query(
      `INSERT INTO ${table} (id, note) SELECT n, 'grown' FROM generate_series(1, 20000) AS n`,
    );
    // This backend's counts not yet reported, read before and after on the same connection.
    const scansOf = async (marked: boolean) => {
      const scans = async () => {
        const [{ seq_scan }] = await dataSource.query<{ seq_scan: string }[]>(
          `SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = $1`,
          [table],
        );
        return Number(seq_scan);
      };
      const before = await scans();
      await dataSource.query(update(marked), [[7], ['found']]);
      return (await scans()) - before;
    };

    expect(await scansOf(true)).toBe(0);
    // Prepared, it keeps the plan it made on the empty table: it reads every row.
    expect(await scansOf(false)).toBe(1);
    const names = [...(await preparedOn(dataSource)).keys()];
    expect(names).toContain(preparedNameOf(update(false)));
    expect(names).not.toContain(preparedNameOf(update(true)));
  });

  it('keeps using a prepared statement after it failed, and after a rollback', async () => {
    dataSource = await oneConnection();
    const text = `SELECT 10 / $1::int AS share`;
    expect(await dataSource.query(text, [2])).toEqual([{ share: 5 }]);
    await expect(dataSource.query(text, [0])).rejects.toThrow(/division by zero/);
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query(text, [5]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await dataSource.query(text, [10])).toEqual([{ share: 1 }]);
  });

  it(`prepares at most ${PREPARED_PER_CONNECTION} texts per connection; the rest still run`, async () => {
    dataSource = await oneConnection();
    const texts = Array.from(
      { length: PREPARED_PER_CONNECTION + 20 },
      (_, n) => `SELECT $1::int * ${n} AS product`,
    );
    for (const [n, text] of texts.entries()) {
      expect(await dataSource.query(text, [2])).toEqual([{ product: 2 * n }]);
    }
    const prepared = await preparedOn(dataSource);
    expect(prepared.size).toBe(PREPARED_PER_CONNECTION);
    expect(prepared.has(preparedNameOf(texts.at(-1)!))).toBe(false);
  });

  it('parses a statement anew once a migration changed the columns it returns', async () => {
    dataSource = await oneConnection();
    const table = `prepared_probe_${process.pid}`;
    await dataSource.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    try {
      await dataSource.query(`INSERT INTO ${table} VALUES (1)`);
      const text = `SELECT * FROM ${table} WHERE id = $1`;
      expect(await dataSource.query(text, [1])).toEqual([{ id: 1 }]);
      await dataSource.query(`ALTER TABLE ${table} ADD COLUMN note text DEFAULT 'new'`);
      await expect(dataSource.query(text, [1])).rejects.toThrow(/cached plan/);
      expect(await dataSource.query(text, [1])).toEqual([{ id: 1, note: 'new' }]);
      expect(await dataSource.query(text, [1])).toEqual([{ id: 1, note: 'new' }]);
    } finally {
      await dataSource.query(`DROP TABLE ${table}`);
    }
  });

  it('prepares nothing with DATABASE_PREPARED_STATEMENTS=false', async () => {
    dataSource = await oneConnection({ DATABASE_PREPARED_STATEMENTS: 'false' });
    expect(await dataSource.query(`SELECT $1::int AS n`, [7])).toEqual([{ n: 7 }]);
    expect((await preparedOn(dataSource)).size).toBe(0);
  });
});
