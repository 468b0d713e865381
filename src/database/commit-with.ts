import { QueryFailedError, QueryRunner } from 'typeorm';

/** A statement sent with a transaction's COMMIT. */
export interface LastStatement {
  text: string;
  values: unknown[];
}

/**
 * The connection under a query runner: node-postgres's in pipeline mode (`pipeline: true`,
 * set for every pooled connection), which writes each query as it is asked for and answers them
 * in order; or PGlite's, which runs them in order.
 */
interface PipelinedConnection {
  query(text: string, values: unknown[]): Promise<unknown>;
}

/**
 * Sends `statements` and then the COMMIT of `runner`'s transaction in one go, with no answer
 * waited for in between: one round trip where there were as many as statements. They cannot
 * read each other's answers; one that fails aborts the transaction, and PostgreSQL answers the
 * COMMIT with a ROLLBACK. Resolves, once all are answered, with each statement's failure (as
 * TypeORM reports any query's) or null; rejects only when the COMMIT itself fails.
 */
export async function commitWith(
  runner: QueryRunner,
  statements: readonly LastStatement[],
): Promise<(QueryFailedError | null)[]> {
  const connection = (await runner.connect()) as PipelinedConnection;
  const answers = statements.map(({ text, values }) =>
    connection.query(text, values).then(
      () => null,
      (failure: Error) => new QueryFailedError(text, values, failure),
    ),
  );
  await runner.commitTransaction();
  return Promise.all(answers);
}
