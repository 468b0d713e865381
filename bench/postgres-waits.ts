import { Client } from 'pg';

/**
 * What the backends serving a database were doing over a step: how many on average ran on a CPU,
 * waited on each wait event (`Lock:transactionid` for a row another transaction holds,
 * `IO:WALSync` for the log's flush), or sat idle in a transaction, waiting for the app's next
 * statement. Idle backends are left out.
 */
export type PostgresWaits = Record<string, number>;

/** How often pg_stat_activity is read: often enough for waits of a few milliseconds to show. */
const EVERY_MS = 20;

/**
 * Reads pg_stat_activity for `database`'s client backends (but `client`'s own) every 20 ms
 * until stopped. Each read is one statement on `client`, about 50 a second.
 */
export function postgresWaitSampler(
  client: Client,
  database: string,
): { stop: () => Promise<PostgresWaits> } {
  const counts = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      const { rows } = await client.query<{ doing: string }>(
        `SELECT CASE WHEN state = 'active' AND wait_event IS NULL THEN 'running'
                     WHEN state = 'active' THEN wait_event_type || ':' || wait_event
                     ELSE 'idle in transaction' END AS doing
           FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            AND state IN ('active', 'idle in transaction')`,
        [database],
      );
      samples++;
      for (const { doing } of rows) counts.set(doing, (counts.get(doing) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await sampling;
      return Object.fromEntries(
        [...counts].map(([doing, count]) => [doing, count / Math.max(1, samples)]),
      );
    },
  };
}

/** The waits as the report shows them: the most frequent first, those under 0.05 left out. */
export function waitsText(waits: PostgresWaits | undefined): string {
  const shown = Object.entries(waits ?? {})
    .filter(([, backends]) => backends >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([doing, backends]) => `${doing} ${backends.toFixed(1)}`);
  return shown.length > 0 ? shown.join(', ') : '—';
}
