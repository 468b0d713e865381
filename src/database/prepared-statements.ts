import { createHash } from 'node:crypto';
import * as pg from 'pg';

/**
 * Distinct statements one connection keeps prepared, each holding its plan in the server's
 * memory. Ours are a few dozen; a statement whose text varies (an `IN` list of any length) could
 * otherwise prepare without end, so past the bound a new text is parsed and planned each time,
 * as without preparing.
 */
export const PREPARED_PER_CONNECTION = 128;

/** The same text, the same name, on every connection and instance. */
export function preparedNameOf(text: string): string {
  return `peak_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
}

/**
 * First in a statement's text, it is planned at each call instead: for a join whose best plan
 * turns as its table grows. PostgreSQL keeps a prepared statement's generic plan until it next
 * analyzes the table, and one made while the table was nearly empty scans it whole: the update
 * of a sale's notices read 2,000 rows of them per order by the end of a 3,000-order burst.
 */
export const PLANNED_AT_EACH_CALL = '/* planned at each call */';

type Query = (...args: unknown[]) => unknown;

/** feature_not_supported: "cached plan must not change result type". */
const CACHED_PLAN_CHANGED = '0A000';

/**
 * A connection that prepares each parameterized statement the first time it runs it and only
 * binds and executes it after: PostgreSQL then plans it once per connection, not once per call.
 * Planning is most of what a short statement costs it (pgbench runs the accept transaction about
 * 1.4× as fast prepared). Statements without parameters (BEGIN, COMMIT, a migration's several
 * statements in one text) go as they are: only a parameterized text is one statement for sure.
 * So do those marked PLANNED_AT_EACH_CALL.
 */
export class PreparingClient extends pg.Client {
  /** Each text prepared on this connection, with its name (hashed once, not at every call). */
  private readonly prepared = new Map<string, string>();
  /** Texts whose prepared form broke: they are parsed each time from then on. */
  private readonly unprepared = new Set<string>();

  // pg's query() has a dozen overloads; this one only adds a name to the config it receives.
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    const query = super.query as unknown as Query;
    if (
      typeof text === 'string' &&
      Array.isArray(values) &&
      values.length > 0 &&
      callback === undefined &&
      !this.unprepared.has(text) &&
      !text.startsWith(PLANNED_AT_EACH_CALL)
    ) {
      let name = this.prepared.get(text);
      if (name === undefined && this.prepared.size < PREPARED_PER_CONNECTION) {
        name = preparedNameOf(text);
        this.prepared.set(text, name);
      }
      if (name !== undefined) {
        return this.execute(name, text, values).catch((error: unknown) => {
          // A migration changed the columns a prepared `SELECT *` returns (another instance
          // migrated under this one): PostgreSQL refuses it for good, so it is parsed anew.
          if ((error as { code?: string }).code === CACHED_PLAN_CHANGED) this.unprepared.add(text);
          throw error;
        }) as never;
      }
    }
    return query.apply(this, args) as never;
  }

  /**
   * Runs a statement under its prepared name. The query is made from the text and named after:
   * given a config object, pg copies its every property descriptor at each call, a cost the
   * worker's profile shows at every statement.
   */
  private execute(name: string, text: string, values: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const named = Object.assign(new pg.Query(text, values), {
        name,
        callback: (error: Error | null, result: unknown) =>
          error ? reject(error) : resolve(result),
      });
      (super.query as unknown as Query).call(this, named);
    });
  }
}

/** node-postgres with a pool of preparing connections, as TypeORM's `driver` option. */
export function preparingPgDriver(): object {
  class PreparingPool extends pg.Pool {
    constructor(options: pg.PoolConfig = {}) {
      super({ ...options, Client: PreparingClient });
    }
  }
  return { ...pg, Pool: PreparingPool };
}
