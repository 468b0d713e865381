import { Writable } from 'node:stream';
import { QueryFailedError, QueryRunner } from 'typeorm';

/** A statement sent with a transaction's COMMIT. */
export interface LastStatement {
  text: string;
  values: unknown[];
}

/**
 * The connection under a query runner: node-postgres's in pipeline mode (`pipeline: true`,
 * set for every pooled connection), which writes each query as it is asked for and answers them
 * in order; or PGlite's, which runs them in order and has no socket.
 */
interface PipelinedConnection {
  query(text: string, values: unknown[]): Promise<unknown>;
  connection?: { stream: Pick<Writable, 'cork' | 'uncork'> };
}

/**
 * Sends `statements` and then the COMMIT of `runner`'s transaction in one write, with no answer
 * waited for in between: one round trip where there were as many as statements. On a virtual
 * machine a write that wakes the server costs its sender more than the statement costs the
 * server, so the socket is corked until the COMMIT is queued too. The statements cannot read
 * each other's answers; one that fails aborts the transaction, and PostgreSQL answers the COMMIT
 * with a ROLLBACK. Resolves, once all are answered, with each statement's failure (as TypeORM
 * reports any query's) or null; rejects only when the COMMIT itself fails.
 */
export async function commitWith(
  runner: QueryRunner,
  statements: readonly LastStatement[],
): Promise<(QueryFailedError | null)[]> {
  const connection = (await runner.connect()) as PipelinedConnection;
  const stream = connection.connection?.stream;
  stream?.cork();
  const answers = statements.map(({ text, values }) =>
    connection.query(text, values).then(
      () => null,
      (failure: Error) => new QueryFailedError(text, values, failure),
    ),
  );
  const committed = runner.commitTransaction();
  // TypeORM queues the COMMIT after a few promise continuations; ticks run once they have all
  // run. Were it to wait on anything else, the COMMIT would only go in a write of its own.
  if (stream) process.nextTick(() => stream.uncork());
  await committed;
  return Promise.all(answers);
}
