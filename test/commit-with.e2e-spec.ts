import { Socket } from 'node:net';
import { DataSource, QueryFailedError, QueryRunner } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { commitWith } from '../src/database/commit-with';
import { dataSourceOptions } from '../src/database/data-source-options';
import { E2E_DATABASE_ENV } from './support/database-url';

const TABLE = `commit_with_probe_${process.pid}`;
const INSERT = `INSERT INTO ${TABLE} (n) VALUES ($1)`;

describe('statements sent with the commit', () => {
  let dataSource: DataSource;
  let runner: QueryRunner;

  beforeAll(async () => {
    const url = process.env[E2E_DATABASE_ENV]!;
    const config = loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '2' });
    dataSource = await new DataSource(dataSourceOptions(config)).initialize();
    await dataSource.query(`CREATE TABLE ${TABLE} (n int NOT NULL CHECK (n >= 0))`);
  });
  afterAll(async () => {
    await dataSource.query(`DROP TABLE ${TABLE}`);
    await dataSource.destroy();
  });
  beforeEach(async () => {
    await dataSource.query(`TRUNCATE ${TABLE}`);
    runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query(INSERT, [1]);
  });
  afterEach(() => runner.release());

  const rows = async () =>
    (await dataSource.query<{ n: number }[]>(`SELECT n FROM ${TABLE} ORDER BY n`)).map(
      ({ n }) => n,
    );

  it('commits the transaction with its last statements', async () => {
    const failures = await commitWith(runner, [
      { text: INSERT, values: [2] },
      { text: INSERT, values: [3] },
    ]);

    expect(failures).toEqual([null, null]);
    expect(runner.isTransactionActive).toBe(false);
    expect(await rows()).toEqual([1, 2, 3]);
  });

  it('rolls the whole transaction back when one fails, and tells each failure as any query error', async () => {
    const failures = await commitWith(runner, [
      { text: INSERT, values: [2] },
      { text: INSERT, values: [-1] },
      { text: INSERT, values: [3] },
    ]);

    expect(failures[0]).toBeNull();
    expect(failures[1]).toBeInstanceOf(QueryFailedError);
    expect(failures[1]).toMatchObject({
      query: INSERT,
      parameters: [-1],
      driverError: { code: '23514', constraint: `${TABLE}_n_check` },
    });
    // Sent before the failure was known, the next one finds the transaction aborted.
    expect(failures[2]).toMatchObject({ driverError: { code: '25P02' } });
    expect(await rows()).toEqual([]);
    // The connection serves the next transaction as usual.
    expect(await runner.query(`SELECT $1::int AS n`, [7])).toEqual([{ n: 7 }]);
  });

  it('writes them and the COMMIT to the socket at once, before the first answer arrives', async () => {
    const { stream } = ((await runner.connect()) as { connection: { stream: Socket } }).connection;
    // What reaches the socket, write by write (several chunks go in one writev), and the answers.
    const wire: string[] = [];
    const seen = (chunks: Buffer[]) =>
      wire.push(chunks.some((chunk) => chunk.includes('COMMIT')) ? 'write with COMMIT' : 'write');
    const onAnswer = () => wire.push('answer');
    const own = { write: stream._write, writev: stream._writev };
    stream._write = (chunk: Buffer, ...rest) => {
      seen([chunk]);
      return own.write.call(stream, chunk, ...rest);
    };
    stream._writev = (chunks, callback) => {
      seen(chunks.map(({ chunk }) => chunk as Buffer));
      return own.writev!.call(stream, chunks, callback);
    };
    stream.on('data', onAnswer);
    try {
      await commitWith(
        runner,
        Array.from({ length: 5 }, (_, n) => ({ text: INSERT, values: [n + 2] })),
      );
    } finally {
      Object.assign(stream, { _write: own.write, _writev: own.writev });
      stream.off('data', onAnswer);
    }

    expect(await rows()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(wire.slice(0, wire.indexOf('answer'))).toEqual(['write with COMMIT']);
  });
});
