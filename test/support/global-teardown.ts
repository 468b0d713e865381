import { Client } from 'pg';
import { E2E_DATABASE_ENV, E2E_KAFKA_PORT, E2E_KAFKA_STARTED_ENV, serverUrl } from './database-url';
import { KafkaBroker } from './kafka-broker';

export default async function globalTeardown(): Promise<void> {
  if (process.env[E2E_KAFKA_STARTED_ENV]) await new KafkaBroker(E2E_KAFKA_PORT).stop();
  const url = process.env[E2E_DATABASE_ENV];
  if (!url) return;
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  await admin.end();
}
