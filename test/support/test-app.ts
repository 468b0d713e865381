import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { bootstrap } from '../../src/bootstrap';
import { Environment, KafkaConfig, loadConfig } from '../../src/config/app-config';
import { GatewayLedger, SimulatedPaymentGateway } from '../../src/modules/payment';
import { Backpressure } from '../../src/messaging/kafka/backpressure';
import { CheckoutModeService } from '../../src/fleet/mode/checkout-mode.service';
import { KafkaTransport } from '../../src/messaging/kafka/kafka.transport';
import { freePort, TEST_INTERNAL_SECRET } from './app-process';
import { E2E_DATABASE_ENV, E2E_KAFKA_ENV, serverUrl } from './database-url';
import { dropDatabases, freshDatabase } from './fresh-database';
import { waitFor } from './wait-for';

/** A running instance of the app, as the tests drive and inspect it. */
export interface TestApp {
  app: INestApplication;
  /** Base URL of the instance, for clients that need a real socket (SSE). */
  url: string;
  http: () => TestAgent;
  /** The app's own database connection, for fixtures and for checking what was stored. */
  db: DataSource;
  gatewayLedger: () => GatewayLedger;
  close: () => Promise<void>;
}

/** The one admin token of ADMIN_TOKEN: the audit names whoever holds it "admin". */
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Named admins of the tests, each with a token of their own (ADMIN_TOKENS). */
const ADMINS = ['ops-alice', 'ops-bob', 'ops-carol', 'ops-dave', 'test-admin'] as const;
export type TestAdmin = (typeof ADMINS)[number];

/** The token the audit trail knows as `name`. */
export function adminToken(name: TestAdmin): string {
  return `test-token-of-${name}-0123456789`;
}

/** Authorization of the named admin. */
export function adminAuth(name: TestAdmin): { Authorization: string } {
  return { Authorization: `Bearer ${adminToken(name)}` };
}

const QUIET_AND_FAST: Environment = {
  PORT: '0',
  LOG_LEVEL: 'warn',
  SEED_DEMO_CATALOGUE: 'false',
  GATEWAY_LATENCY_MS: '5',
  PAYMENT_RETRY_BASE_MS: '5',
  // An async payment gives up after its PAYMENT_MAX_ATTEMPTS, as a sync one does; tests of its
  // patience set their own.
  PAYMENT_PATIENCE_MS: '0',
  ADMIN_TOKEN,
  ADMIN_TOKENS: ADMINS.map((name) => `${name}:${adminToken(name)}`).join(','),
  INTERNAL_SECRET: TEST_INTERNAL_SECRET,
  KAFKA_PARTITIONS: '3',
  SETTINGS_POLL_MS: '200',
  OUTBOX_POLL_MS: '100',
  // Tests that watch for lost messages set their own window; elsewhere, re-driving another
  // test's deliberately unfinished orders would only add noise.
  LOSS_WINDOW_MS: String(3_600_000),
  SYNC_LOSS_WINDOW_MS: String(3_600_000),
  SHUTDOWN_GRACE_MS: '2000',
  // The bulkhead and the circuit breaker have tests of their own; elsewhere a loaded machine's
  // slow bursts, and the tok_unavailable cards of many tests, would trip them at random.
  SYNC_QUEUE_WAIT_MS: '30000',
  GATEWAY_CIRCUIT_FAILURES: '1000',
  // So does the adaptive limit: elsewhere the latency noise of a loaded machine (against a
  // gateway answering in 5 ms) would move it at random, and the limit is the admin's.
  ADAPTIVE_LIMIT: 'false',
};

/** A Kafka topic prefix no other app uses, unless apps are meant to share their topics. */
export function newTopicPrefix(): string {
  return `t${randomBytes(4).toString('hex')}.`;
}

/**
 * Boots the whole app on a free port: on the e2e PostgreSQL database with the e2e Kafka (topics
 * of its own), or on what `env` says (PGLITE_DATA_DIR for the embedded database, which gets no
 * Kafka unless given). It starts in sync mode, whatever an earlier test switched to.
 */
export async function startApp(env: Environment = {}): Promise<TestApp> {
  const embedded = 'PGLITE_DATA_DIR' in env;
  const databaseUrl = process.env[E2E_DATABASE_ENV];
  const kafkaBrokers = process.env[E2E_KAFKA_ENV];
  if (!embedded && (!databaseUrl || !kafkaBrokers)) {
    throw new Error(
      'Run the e2e tests through jest (its global setup provides PostgreSQL and Kafka).',
    );
  }
  const given: Environment = {
    ...QUIET_AND_FAST,
    ...(embedded ? {} : { DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers }),
    KAFKA_TOPIC_PREFIX: newTopicPrefix(),
    ...env,
  };
  const config = loadConfig({ ...given, ...(await ownAddress(given)) });
  const app = await bootstrap(config);
  if (config.kafka && config.roles.worker) {
    // Booting does not wait for the consumer to join its group; the tests start from a member.
    const transport = app.get(KafkaTransport);
    await waitFor('the consumer joined its group', () =>
      Promise.resolve(transport.consumerState().status === 'connected' ? true : undefined),
    );
  }
  await app.get(CheckoutModeService).set('sync', 'test-setup', null);
  await app.get(Backpressure).set(config.backpressure.maxInFlight, 'test-setup', null);
  const server = app.getHttpServer() as Server;
  const { port } = server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    http: () => request(app.getHttpServer()),
    db: app.get(DataSource),
    gatewayLedger: () => app.get(SimulatedPaymentGateway).ledger(),
    close: () => app.close(),
  };
}

/** An app on a database of its own, with a client on it; `close` drops the database after. */
export interface AppOnOwnDatabase {
  app: TestApp;
  probe: Client;
  close(): Promise<void>;
}

/**
 * Boots the app (`startApp`, in async mode) on a new database named `database`: for what the
 * orders other suites leave on the shared one (unpaid on purpose, re-driven by the watchdog) or
 * its tables' history would blur.
 */
export async function startAppOnOwnDatabase(
  database: string,
  env: Environment = {},
): Promise<AppOnOwnDatabase> {
  const url = await freshDatabase(serverUrl(), database);
  const app = await startApp({ DATABASE_URL: url, ...env });
  await switchMode(app, 'async');
  const probe = new Client({ connectionString: url });
  await probe.connect();
  return {
    app,
    probe,
    close: async () => {
      await probe.end();
      await app.close();
      await dropDatabases(serverUrl(), [database]);
    },
  };
}

/**
 * With Kafka, an instance needs the PUBLIC_URL workers call it back at: a free port, chosen
 * before it listens, unless the test gives its own.
 */
async function ownAddress(env: Environment): Promise<Environment> {
  if (!env.KAFKA_BROKERS || env.PUBLIC_URL) return {};
  const port = env.PORT && env.PORT !== '0' ? env.PORT : String(await freePort());
  return { PORT: port, PUBLIC_URL: `http://127.0.0.1:${port}` };
}

/** A shopper id no other test uses. */
export function newShopper(): string {
  return `shopper-${randomBytes(6).toString('hex')}`;
}

/** Adds a product no other test sells; returns its SKU. */
export async function newProduct(
  db: DataSource,
  { stock, priceCents = 1000 }: { stock: number; priceCents?: number },
): Promise<string> {
  const sku = `T-${randomBytes(5).toString('hex').toUpperCase()}`;
  await db.query(
    `INSERT INTO products (sku, name, price_cents, currency, stock) VALUES ($1, $2, $3, 'EUR', $4)`,
    [sku, `Test product ${sku}`, priceCents, stock],
  );
  return sku;
}

export async function stockOf(db: DataSource, sku: string): Promise<number> {
  const [row]: { stock: number }[] = await db.query(`SELECT stock FROM products WHERE sku = $1`, [
    sku,
  ]);
  return row.stock;
}

/** Switches the checkout mode through the admin API, as an admin would. */
export async function switchMode(app: TestApp, mode: 'sync' | 'async' | 'auto'): Promise<void> {
  const answer = await app.http().put('/admin/mode').set(adminAuth('test-admin')).send({ mode });
  if (answer.status !== 200)
    throw new Error(`PUT /admin/mode ${mode}: ${answer.status} ${answer.text}`);
}

const FINAL = ['PAID', 'PAYMENT_FAILED', 'FRAUD_REJECTED'];

/** Reads the order until it is final (an async order's payment runs on a worker). */
export async function finalOrder(
  app: TestApp,
  userId: string,
  orderId: string,
  timeoutMs = 30_000,
): Promise<{ id: string; status: string; [field: string]: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const order = await app.http().get(`/orders/${orderId}`).set('X-User-Id', userId);
    const body = order.body as { id: string; status: string };
    if (FINAL.includes(body.status)) return body;
    if (Date.now() > deadline) {
      throw new Error(
        `Order ${orderId} not final within ${timeoutMs} ms: ${JSON.stringify(order.body)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The Kafka settings an instance runs with when the environment leaves them at their defaults. */
export function defaultKafkaConfig(): KafkaConfig {
  return loadConfig({
    KAFKA_BROKERS: '127.0.0.1:1',
    INTERNAL_SECRET: TEST_INTERNAL_SECRET,
    PUBLIC_URL: 'http://127.0.0.1:1',
  }).kafka!;
}
