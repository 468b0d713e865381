import { Client } from 'pg';
import { urlOfDatabase } from './database-url';

/** Drops `database` on the server `serverUrl` names if it is there, creates it, gives its URL. */
export async function freshDatabase(serverUrl: string, database: string): Promise<string> {
  const admin = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  return urlOfDatabase(serverUrl, database);
}
