import { EntityManager } from 'typeorm';

/**
 * Runs an UPDATE/DELETE … RETURNING and gives back its rows, on the server and on PGlite alike.
 * TypeORM shapes a raw UPDATE/DELETE result from node-postgres' `command` field ([rows, count]),
 * which PGlite's results lack (bare rows, `affected` undefined); wrapped as a SELECT, both
 * drivers return plain rows.
 */
export async function returningRows<Row>(
  manager: EntityManager,
  statement: string,
  parameters: unknown[],
): Promise<Row[]> {
  return manager.query<Row[]>(`WITH changed AS (${statement}) SELECT * FROM changed`, parameters);
}
