import { QueryFailedError } from 'typeorm';
import { LastStatement } from '../database/pipelined-transaction';

/**
 * Statements a unit of work sends with its commit, and what a failure of one of them means: the
 * error the unit of work then fails with, its transaction rolled back. The refusal runs once the
 * connection is released, so it may read the database (the embedded one has one connection).
 */
export interface CommitStep {
  statements: LastStatement[];
  /**
   * The row its statements lock that other transactions lock too (a product's SKU), one per
   * statement: a transaction sends its units' statements sorted by it, so transactions that share
   * units never wait on each other in a circle. Statements without one go first, as given.
   */
  lockOrder?: string[];
  refusal(failure: QueryFailedError, index: number): Promise<Error>;
}
