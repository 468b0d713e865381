import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import {
  E2E_DATABASE_ENV,
  E2E_KAFKA_ENV,
  E2E_KAFKA_PORT,
  E2E_KAFKA_STARTED_ENV,
  serverUrl,
  urlOfDatabase,
} from './database-url';
import { KafkaBroker } from './kafka-broker';

/**
 * Creates a fresh database for this run on the PostgreSQL server and migrates it once, so test
 * files start from the real schema and never race to create it; uses the Kafka brokers in
 * KAFKA_BROKERS, or starts a broker of its own. Fails loudly when either is missing:
 * end-to-end tests are never skipped.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.KAFKA_BROKERS) {
    process.env[E2E_KAFKA_ENV] = process.env.KAFKA_BROKERS;
  } else {
    const broker = new KafkaBroker(E2E_KAFKA_PORT);
    await broker.start();
    process.env[E2E_KAFKA_ENV] = broker.brokers;
    process.env[E2E_KAFKA_STARTED_ENV] = 'true';
  }

  const admin = new Client({ connectionString: serverUrl(), connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `End-to-end tests need PostgreSQL at ${serverUrl()} (set DATABASE_URL): ${String(error)}`,
    );
  }
  const database = `peak_checkout_e2e_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();

  const url = urlOfDatabase(serverUrl(), database);
  const dataSource = new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: url })));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  process.env[E2E_DATABASE_ENV] = url;
}
