import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { bootstrap } from '../../src/bootstrap';
import { Environment, loadConfig } from '../../src/config/app-config';
import { GatewayLedger, SimulatedPaymentGateway } from '../../src/modules/payment';
import { E2E_DATABASE_ENV } from './database-url';

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

const QUIET_AND_FAST: Environment = {
  PORT: '0',
  LOG_LEVEL: 'warn',
  SEED_DEMO_CATALOGUE: 'false',
  GATEWAY_LATENCY_MS: '5',
  PAYMENT_RETRY_BASE_MS: '5',
};

/** Boots the whole app on the e2e PostgreSQL database (or what `env` says) on a free port. */
export async function startApp(env: Environment = {}): Promise<TestApp> {
  const databaseUrl = process.env[E2E_DATABASE_ENV];
  if (!databaseUrl && !('PGLITE_DATA_DIR' in env)) {
    throw new Error(`${E2E_DATABASE_ENV} is unset: run the e2e tests through jest's global setup.`);
  }
  const config = loadConfig({
    ...QUIET_AND_FAST,
    ...(databaseUrl && !('PGLITE_DATA_DIR' in env) ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const app = await bootstrap(config);
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
