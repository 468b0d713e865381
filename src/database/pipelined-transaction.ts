import { Writable } from 'node:stream';
import { QueryFailedError, QueryRunner } from 'typeorm';

/** A statement sent with a transaction's COMMIT. */
export interface LastStatement {
  text: string;
  values: unknown[];
  /**
   * Statements of its kind, from the units of a shared transaction, as fewer that do the work of
   * all (see inFewerStatements): given each one's values, in order. One function per kind.
   */
  together?: (valuesOfEach: unknown[][]) => LastStatement[];
}

/**
 * The connection under a query runner: node-postgres's in pipeline mode (`pipeline: true`,
 * set for every pooled connection), which writes each query as it is asked for and answers them
 * in order; or PGlite's, which runs them in order and has no socket.
 */
interface PipelinedConnection {
  query(text: string, values?: unknown[]): Promise<unknown>;
  connection?: { stream: Pick<Writable, 'cork' | 'uncork'> };
}

/** A query runner's transaction state, as its own startTransaction leaves it. */
interface TransactionState {
  isTransactionActive: boolean;
  transactionDepth: number;
}

/**
 * Holds what is written to the connection's socket until the promise continuations now running
 * have run (ticks run after them), then writes it all at once: one wake-up of the server.
 * On a virtual machine a write that wakes the server costs its sender more than a short
 * statement costs the server. Were a continuation to wait on anything else, what it sends
 * would only go in a write of its own.
 */
function inOneWrite(connection: PipelinedConnection): void {
  const stream = connection.connection?.stream;
  if (!stream) return;
  stream.cork();
  process.nextTick(() => stream.uncork());
}

/**
 * Until the returned function is called, what `runner`'s connection is asked within one run of
 * promise continuations goes in one write: units of work sharing a transaction ask their
 * statements side by side, and each round of them wakes the server once, not once per unit.
 */
export async function coalescingWrites(runner: QueryRunner): Promise<() => void> {
  const connection = (await runner.connect()) as PipelinedConnection;
  const ownQuery = Object.prototype.hasOwnProperty.call(connection, 'query');
  const query = connection.query;
  connection.query = function (this: PipelinedConnection, ...args) {
    inOneWrite(connection);
    return query.apply(this, args);
  };
  return () => {
    if (ownQuery) connection.query = query;
    else delete (connection as Partial<PipelinedConnection>).query;
  };
}

/**
 * Starts `runner`'s transaction without waiting for the answer: its START TRANSACTION goes in one
 * write with the work's first statement, asked for before the promise continuations now running
 * end. The connection answers in order, so a failed start fails that statement too; the start's
 * own failure is told when `begun` is awaited.
 */
export async function beginWithFirstStatement(
  runner: QueryRunner,
): Promise<{ begun: Promise<void> }> {
  const connection = (await runner.connect()) as PipelinedConnection;
  inOneWrite(connection);
  const begun = connection.query('START TRANSACTION').then(
    () => undefined,
    (failure: Error) => {
      throw new QueryFailedError('START TRANSACTION', [], failure);
    },
  );
  begun.catch(() => undefined);
  // What TypeORM's startTransaction leaves, so its commit and rollback run as after it.
  Object.assign(runner as unknown as TransactionState, {
    isTransactionActive: true,
    transactionDepth: 1,
  });
  return { begun };
}

/**
 * Sends `statements` and then the COMMIT of `runner`'s transaction in one write, with no answer
 * waited for in between: one round trip where there were as many as statements. The statements
 * cannot read each other's answers; one that fails aborts the transaction, and PostgreSQL
 * answers the COMMIT with a ROLLBACK. Resolves, once all are answered, with each statement's
 * failure (as TypeORM reports any query's) or null; rejects only when the COMMIT itself fails.
 */
export async function commitWith(
  runner: QueryRunner,
  statements: readonly LastStatement[],
): Promise<(QueryFailedError | null)[]> {
  const connection = (await runner.connect()) as PipelinedConnection;
  inOneWrite(connection);
  const answers = statements.map(({ text, values }) =>
    connection.query(text, values).then(
      () => null,
      (failure: Error) => new QueryFailedError(text, values, failure),
    ),
  );
  await runner.commitTransaction();
  return Promise.all(answers);
}
