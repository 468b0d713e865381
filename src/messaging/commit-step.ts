/** A statement a unit of work sends with its commit. */
export interface LastStatement {
  text: string;
  values: unknown[];
}

/**
 * Statements sent with the commit, and what a failure of one of them means: the error the unit
 * of work then fails with, its transaction rolled back.
 */
export interface CommitStep {
  statements: LastStatement[];
  refusal(failure: unknown, index: number): Promise<Error>;
}
