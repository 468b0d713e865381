import { LastStatement } from './pipelined-transaction';

/**
 * `statements` with those of one kind (the same `together`) sent as the fewer statements their
 * kind makes of them, where the first of them stood: in a transaction many units share, each
 * unit's outbox row or stock reservation is then one row of one statement, not a statement of
 * its own that PostgreSQL runs, and that takes the hot product row once more. A kind with one
 * statement goes as it is.
 */
export function inFewerStatements(statements: readonly LastStatement[]): LastStatement[] {
  const kinds = new Map<LastStatement['together'], unknown[][]>();
  for (const { together, values } of statements) {
    if (!together) continue;
    const valuesOfEach = kinds.get(together);
    if (valuesOfEach) valuesOfEach.push(values);
    else kinds.set(together, [values]);
  }
  const sent = new Set<LastStatement['together']>();
  return statements.flatMap((statement) => {
    const { together } = statement;
    const valuesOfEach = together && kinds.get(together);
    if (!together || !valuesOfEach || valuesOfEach.length === 1) return [statement];
    if (sent.has(together)) return [];
    sent.add(together);
    return together(valuesOfEach);
  });
}

/** The values of many statements as one array per parameter, for `unnest`. */
export function columnsOf(valuesOfEach: readonly unknown[][]): unknown[][] {
  return valuesOfEach[0].map((_, column) => valuesOfEach.map((values) => values[column]));
}
