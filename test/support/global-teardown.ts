import { Client } from 'pg';
import { E2E_DATABASE_ENV, serverUrl } from './database-url';

export default async function globalTeardown(): Promise<void> {
  const url = process.env[E2E_DATABASE_ENV];
  if (!url) return;
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  await admin.end();
}
