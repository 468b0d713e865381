import { Socket } from 'node:net';
import { DataSource, QueryFailedError } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { currentDelivery, Delivery, runWithDelivery } from '../src/messaging/delivery';
import { InProcessServer } from '../src/messaging/in-process.server';
import { MessageBus } from '../src/messaging/message-bus';
import { Outbox } from '../src/messaging/outbox/outbox';
import { OutboxRelay } from '../src/messaging/outbox/outbox-relay';
import { TransactionContext, UnitOfWork } from '../src/messaging/unit-of-work';
import { E2E_DATABASE_ENV } from './support/database-url';

const TABLE = `grouped_probe_${process.pid}`;
const ROWS = `grouped_rows_${process.pid}`;

/** Writes to any socket (here only PostgreSQL's) while `act` runs. */
async function writesDuring(act: () => Promise<unknown>): Promise<number> {
  let writes = 0;
  const own = { write: Socket.prototype._write, writev: Socket.prototype._writev };
  Socket.prototype._write = function (this: Socket, ...args: Parameters<Socket['_write']>) {
    writes++;
    return own.write.apply(this, args);
  };
  Socket.prototype._writev = function (
    this: Socket,
    ...args: Parameters<NonNullable<Socket['_writev']>>
  ) {
    writes++;
    return own.writev!.apply(this, args);
  };
  try {
    await act();
  } finally {
    Object.assign(Socket.prototype, { _write: own.write, _writev: own.writev });
  }
  return writes;
}

/** Records `n` and answers with the transaction that recorded it, in two statements. */
async function record({ manager }: TransactionContext, n: number): Promise<string> {
  await manager.query(`INSERT INTO ${TABLE} (n) VALUES ($1)`, [n]);
  const [{ id }] = await manager.query<{ id: string }[]>(`SELECT txid_current()::text AS id`);
  return id;
}

describe('units of work of one group', () => {
  let dataSource: DataSource;
  let unitOfWork: UnitOfWork;

  beforeAll(async () => {
    const url = process.env[E2E_DATABASE_ENV]!;
    const config = loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '10' });
    dataSource = await new DataSource(dataSourceOptions(config)).initialize();
    await dataSource.query(`CREATE TABLE ${TABLE} (n int NOT NULL CHECK (n >= 0))`);
    await dataSource.query(`CREATE TABLE ${ROWS} (id int PRIMARY KEY, n int NOT NULL)`);
    await dataSource.query(`INSERT INTO ${ROWS} (id, n) VALUES (1, 0), (2, 0)`);
    // These units publish nothing: the bus has nothing to hand its server or relay.
    const bus = new MessageBus({} as InProcessServer, {} as OutboxRelay, config);
    unitOfWork = new UnitOfWork(dataSource, bus, new Outbox(dataSource));
  });
  afterAll(async () => {
    await dataSource.query(`DROP TABLE ${TABLE}, ${ROWS}`);
    await dataSource.destroy();
  });
  beforeEach(() => dataSource.query(`TRUNCATE ${TABLE}`));

  const recorded = async () =>
    (await dataSource.query<{ n: number }[]>(`SELECT n FROM ${TABLE} ORDER BY n`)).map(
      (row) => row.n,
    );

  it('commits the units that arrive together in one transaction, their statements in shared writes', async () => {
    const units = Array.from({ length: 20 }, (_, n) => n);
    let transactions: string[] = [];
    const writes = await writesDuring(async () => {
      transactions = await Promise.all(
        units.map((n) => unitOfWork.runInGroup('probe', (tx) => record(tx, n))),
      );
    });
    expect(new Set(transactions).size).toBe(1);
    expect(await recorded()).toEqual(units);
    // START TRANSACTION with every INSERT, every SELECT, the COMMIT: a few writes, not 40 and more.
    expect(writes).toBeLessThanOrEqual(6);
  });

  it('runs a unit arriving while the transaction runs in the next one, with the others waiting', async () => {
    let letFirstEnd!: () => void;
    const firstRunning = new Promise<void>((started) => {
      void unitOfWork.runInGroup('probe', async (tx) => {
        started();
        await new Promise<void>((end) => (letFirstEnd = end));
        return record(tx, 0);
      });
    });
    await firstRunning;
    const later = [1, 2, 3].map((n) => unitOfWork.runInGroup('probe', (tx) => record(tx, n)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await recorded()).toEqual([]);
    letFirstEnd();
    const transactions = await Promise.all(later);
    expect(new Set(transactions).size).toBe(1);
    expect(await recorded()).toEqual([0, 1, 2, 3]);
  });

  it('fails only the failing unit: the others commit, each then in a transaction of its own', async () => {
    const outcomes = await Promise.allSettled(
      [1, 2, -1, 3].map((n) => unitOfWork.runInGroup('probe', (tx) => record(tx, n))),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(QueryFailedError);
    const committedIn = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(new Set(committedIn).size).toBe(3);
    expect(await recorded()).toEqual([1, 2, 3]);
  });

  it('sends the statements that lock shared rows in their lock order, across its units', async () => {
    // Adds 1 to row `id` with the commit, and answers with its transaction.
    const bump = (id: number) =>
      unitOfWork.runInGroup(
        'locking',
        async ({ manager, withCommit }) => {
          withCommit({
            statements: [{ text: `UPDATE ${ROWS} SET n = n + 1 WHERE id = $1`, values: [id] }],
            lockOrder: [String(id)],
            refusal: (failure) => Promise.resolve(failure),
          });
          const [{ txid }] = await manager.query<{ txid: string }[]>(
            `SELECT txid_current()::text AS txid`,
          );
          return txid;
        },
        { lanes: 2 },
      );
    const holder = dataSource.createQueryRunner();
    await holder.startTransaction();
    let first: string[];
    let second: string[];
    try {
      await holder.query(`SELECT 1 FROM ${ROWS} WHERE id = 1 FOR UPDATE`);
      // Row 1, then 2; then, in the other lane, 2 before 1 as its units came. Given in that order,
      // the second would hold row 2 while waiting for row 1, which the first gets as the holder
      // lets go, and PostgreSQL would break the circle by aborting one of them.
      const firstLane = Promise.all([bump(1), bump(2)]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const secondLane = Promise.all([bump(2), bump(1)]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await holder.commitTransaction();
      [first, second] = await Promise.all([firstLane, secondLane]);
    } finally {
      await holder.release();
    }
    // Neither was aborted: each lane's units committed together.
    expect(new Set(first).size).toBe(1);
    expect(new Set(second).size).toBe(1);
    const rows = await dataSource.query<{ n: number }[]>(`SELECT n FROM ${ROWS} ORDER BY id`);
    expect(rows.map((row) => row.n)).toEqual([2, 2]);
  });

  it('runs a unit while another lane runs one of another key, never of its own', async () => {
    let letFirstEnd!: () => void;
    const firstRunning = new Promise<void>((started) => {
      void unitOfWork.runInGroup(
        'keyed lanes',
        async (tx) => {
          started();
          await new Promise<void>((end) => (letFirstEnd = end));
          return record(tx, 1);
        },
        { key: 'shopper-1', lanes: 2 },
      );
    });
    await firstRunning;
    const sameKey = unitOfWork.runInGroup('keyed lanes', (tx) => record(tx, 2), {
      key: 'shopper-1',
      lanes: 2,
    });
    const otherKey = await unitOfWork.runInGroup('keyed lanes', (tx) => record(tx, 3), {
      key: 'shopper-2',
      lanes: 2,
    });
    expect(otherKey).toEqual(expect.any(String));
    expect(await recorded()).toEqual([3]);
    letFirstEnd();
    await sameKey;
    expect(await recorded()).toEqual([1, 2, 3]);
  });

  it("runs each unit in its caller's context", async () => {
    const seen = await Promise.all(
      (['kafka', 'in-process', 'kafka'] as Delivery[]).map((delivery) =>
        runWithDelivery(delivery, () =>
          unitOfWork.runInGroup('probe', async (tx) => {
            await record(tx, 1);
            return currentDelivery();
          }),
        ),
      ),
    );
    expect(seen).toEqual(['kafka', 'in-process', 'kafka']);
  });
});
