import { Socket } from 'node:net';
import { DataSource, QueryFailedError, QueryRunner } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { beginWithFirstStatement, commitWith } from '../src/database/pipelined-transaction';
import { E2E_DATABASE_ENV } from './support/database-url';

const TABLE = `pipelined_probe_${process.pid}`;
const INSERT = `INSERT INTO ${TABLE} (n) VALUES ($1)`;

/** A write to the socket: how many protocol messages went in it, and which. */
interface Write {
  messages: number;
  start: boolean;
  commit: boolean;
}

/**
 * What reaches the runner's socket while `act` runs, write by write (the messages queued while it
 * is corked go in one writev), and each answer's arrival between them.
 */
async function wireDuring(
  runner: QueryRunner,
  act: () => Promise<unknown>,
): Promise<(Write | 'answer')[]> {
  const { stream } = ((await runner.connect()) as { connection: { stream: Socket } }).connection;
  const wire: (Write | 'answer')[] = [];
  const seen = (chunks: Buffer[]) => {
    const has = (text: string) => chunks.some((chunk) => chunk.includes(text));
    wire.push({ messages: chunks.length, start: has('START TRANSACTION'), commit: has('COMMIT') });
  };
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
    await act();
  } finally {
    Object.assign(stream, { _write: own.write, _writev: own.writev });
    stream.off('data', onAnswer);
  }
  return wire;
}

/** The writes before the first answer. */
const beforeTheFirstAnswer = (wire: (Write | 'answer')[]) => wire.slice(0, wire.indexOf('answer'));

/** A prepared statement's Bind, Describe, Execute and Sync (and its Parse, the first time). */
const MESSAGES_PER_STATEMENT = 4;

describe('a pipelined transaction', () => {
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
  });
  afterEach(async () => {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  });

  const rows = async () =>
    (await dataSource.query<{ n: number }[]>(`SELECT n FROM ${TABLE} ORDER BY n`)).map(
      ({ n }) => n,
    );

  describe('begun with its first statement', () => {
    it('writes START TRANSACTION and the first statement at once', async () => {
      let begun: Promise<void> | undefined;
      const wire = await wireDuring(runner, async () => {
        ({ begun } = await beginWithFirstStatement(runner));
        await runner.query(INSERT, [1]);
        await begun;
      });

      const [first, ...more] = beforeTheFirstAnswer(wire) as Write[];
      expect(more).toEqual([]);
      expect(first).toMatchObject({ start: true, commit: false });
      expect(first.messages).toBeGreaterThanOrEqual(1 + MESSAGES_PER_STATEMENT);
      expect(runner.isTransactionActive).toBe(true);
    });

    it('commits and rolls back as a transaction TypeORM started', async () => {
      await beginWithFirstStatement(runner);
      await runner.query(INSERT, [1]);
      // Not yet committed: another connection does not see it.
      expect(await rows()).toEqual([]);
      await runner.commitTransaction();
      expect(await rows()).toEqual([1]);

      await beginWithFirstStatement(runner);
      await runner.query(INSERT, [2]);
      await runner.rollbackTransaction();
      expect(runner.isTransactionActive).toBe(false);
      expect(await rows()).toEqual([1]);
    });
  });

  describe('committed with its last statements', () => {
    beforeEach(async () => {
      await runner.startTransaction();
      await runner.query(INSERT, [1]);
    });

    it('commits the transaction with them', async () => {
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

    it('writes them and the COMMIT at once, before the first answer arrives', async () => {
      const wire = await wireDuring(runner, () =>
        commitWith(
          runner,
          Array.from({ length: 5 }, (_, n) => ({ text: INSERT, values: [n + 2] })),
        ),
      );

      expect(await rows()).toEqual([1, 2, 3, 4, 5, 6]);
      const [first, ...more] = beforeTheFirstAnswer(wire) as Write[];
      expect(more).toEqual([]);
      expect(first).toMatchObject({ start: false, commit: true });
      expect(first.messages).toBeGreaterThanOrEqual(5 * MESSAGES_PER_STATEMENT + 1);
    });
  });
});
