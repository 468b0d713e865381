import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import {
  E2E_DATABASE_ENV,
  E2E_KAFKA_ENV,
  E2E_KAFKA_PORT,
  E2E_KAFKA_STARTED_ENV,
  serverUrl,
} from './database-url';
import { freshDatabase } from './fresh-database';
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

  let url: string;
  try {
    url = await freshDatabase(serverUrl(), `peak_checkout_e2e_${process.pid}`);
  } catch (error) {
    throw new Error(
      `End-to-end tests need PostgreSQL at ${serverUrl()} (set DATABASE_URL): ${String(error)}`,
    );
  }
  const dataSource = new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: url })));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  process.env[E2E_DATABASE_ENV] = url;
}
