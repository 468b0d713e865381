/** The PostgreSQL server the end-to-end tests run against; the machine's own by default. */
export function serverUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The URL of another database on the same server. */
export function urlOfDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export const E2E_DATABASE_ENV = 'PEAK_CHECKOUT_E2E_DATABASE_URL';

/** The Kafka brokers the end-to-end tests use: KAFKA_BROKERS, or the one global setup starts. */
export const E2E_KAFKA_ENV = 'PEAK_CHECKOUT_E2E_KAFKA_BROKERS';
export const E2E_KAFKA_STARTED_ENV = 'PEAK_CHECKOUT_E2E_KAFKA_STARTED';
export const E2E_KAFKA_PORT = 9092;
