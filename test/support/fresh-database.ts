import { Client } from 'pg';
import { urlOfDatabase } from './database-url';

/** Runs `work` on a connection to the server `serverUrl` names, outside any of its databases. */
async function asAdmin(serverUrl: string, work: (admin: Client) => Promise<void>): Promise<void> {
  const admin = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

/** Drops `database` on the server `serverUrl` names if it is there, creates it, gives its URL. */
export async function freshDatabase(serverUrl: string, database: string): Promise<string> {
  await asAdmin(serverUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  });
  return urlOfDatabase(serverUrl, database);
}

/** Drops each of `databases` that is there, its connections closed first. */
export async function dropDatabases(
  serverUrl: string,
  databases: readonly string[],
): Promise<void> {
  await asAdmin(serverUrl, async (admin) => {
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}
