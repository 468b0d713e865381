import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

export interface MachineLimits {
  /** Accept transactions per second PostgreSQL commits against one hot product row. */
  postgresAcceptsPerSecond: number;
  postgresClients: number;
  /** Messages per second one idempotent producer gets acknowledged by all replicas. */
  kafkaMessagesPerSecond: { batchesOf100: number; oneAtATime: number };
}

/**
 * The accept transaction as the app sends it for a flash-sale order, statement for statement and
 * write for write (see src/database/pipelined-transaction.ts): the START TRANSACTION with the
 * cart's hold; the order with its line and timeline entry; then the outbox message, the
 * reservation taken off the one hot product row, and the COMMIT together. The order id is made
 * before the first statement, as the app makes it, and read back from the order's row.
 */
const ACCEPT_TRANSACTION = String.raw`
\set u random(1, 200000)
\set a random(0, 99999999)
\set b random(0, 999999999999)
\startpipeline
BEGIN;
UPDATE cart_items i SET held_by = COALESCE(i.held_by, (lpad(:a::text, 8, '0') || '-0000-4000-8000-' || lpad(:b::text, 12, '0'))::uuid)
  FROM (SELECT sku FROM cart_items WHERE user_id = 'limit-' || :u::text ORDER BY sku FOR UPDATE) locked, products p
 WHERE i.user_id = 'limit-' || :u::text AND i.sku = locked.sku AND p.sku = i.sku
RETURNING i.sku, p.name, p.price_cents, p.currency, i.quantity, i.held_by;
\endpipeline
WITH placed AS (
  INSERT INTO orders (id, user_id, status, mode, amount_cents, currency, payment_token,
                      idempotency_key, request_hash, payment_attempt, watch_until)
  VALUES ((lpad(:a::text, 8, '0') || '-0000-4000-8000-' || lpad(:b::text, 12, '0'))::uuid, 'limit-' || :u::text,
          'PENDING_PAYMENT', 'async', 4999, 'EUR', 'tok_visa', gen_random_uuid()::text, repeat('a', 64), 1,
          now() + make_interval(secs => 300))
  RETURNING id, created_at, updated_at),
lines AS (
  INSERT INTO order_lines (order_id, sku, name, unit_price_cents, quantity)
  SELECT id, 'LIMIT-HOT', 'Hot product', 4999, 1 FROM placed),
timeline AS (
  INSERT INTO order_timeline (order_id, type, detail)
  SELECT id, 'PLACED', '{"amountCents":4999,"currency":"EUR","mode":"async"}'::jsonb FROM placed)
SELECT id AS order_id, created_at, updated_at FROM placed \gset
\startpipeline
INSERT INTO outbox (message_id, topic, key, envelope)
  VALUES (gen_random_uuid(), 'payment.order', :order_id::text, ('{"body":"' || repeat('x', 560) || '"}')::jsonb);
WITH taken AS (UPDATE products SET stock = stock - 1, updated_at = now() WHERE sku = 'LIMIT-HOT')
INSERT INTO stock_reservations (order_id, sku, user_id, quantity, status)
  VALUES (:order_id::uuid, 'LIMIT-HOT', 'limit-' || :u::text, 1, 'RESERVED');
COMMIT;
\endpipeline
`;

/**
 * PostgreSQL's rate for the accept transaction, with as many clients as the app's pool, in a
 * database already migrated (`databaseUrl`); it leaves its rows behind. Its statements are
 * prepared, as the app's are (DATABASE_PREPARED_STATEMENTS), so the limit is PostgreSQL's for
 * the transaction as the app sends it. The best of `runs` runs of `seconds` each: on a shared
 * machine a neighbour's busy seconds lower one run, not what the machine can do, and one run alone
 * has been seen at half the next one's rate.
 */
export async function measurePostgres(
  databaseUrl: string,
  clients: number,
  seconds: number,
  runs: number,
): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock)
       VALUES ('LIMIT-HOT', 'Hot product', 4999, 'EUR', 1000000000)`,
    );
    await db.query(
      `INSERT INTO cart_items (user_id, sku, quantity)
       SELECT 'limit-' || n, 'LIMIT-HOT', 1 FROM generate_series(1, 200000) AS n`,
    );
  } finally {
    await db.end();
  }
  const dir = await mkdtemp(join(tmpdir(), 'peak-bench-'));
  try {
    const script = join(dir, 'accept.sql');
    await writeFile(script, ACCEPT_TRANSACTION);
    const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2'];
    const rates: number[] = [];
    for (let attempt = 0; attempt < runs; attempt++) {
      const { stdout } = await run(
        'pgbench',
        [...args, '-T', String(seconds), '-f', script, databaseUrl],
        { timeout: (seconds + 30) * 1000 },
      );
      const tps = /tps = ([\d.]+)/.exec(stdout);
      if (!tps) throw new Error(`pgbench printed no rate:\n${stdout}`);
      rates.push(Number(tps[1]));
    }
    return Math.max(...rates);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Kafka's producer rate with the outbox relay's settings (idempotent, acks=all, one request in
 * flight, keyed by order), in batches of 100 as the relay sends under load and one at a time.
 */
export async function measureKafka(
  brokers: string,
  seconds: number,
): Promise<MachineLimits['kafkaMessagesPerSecond']> {
  const kafka = new Kafka({
    clientId: 'peak-bench',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  });
  const topic = `bench-limit-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const value = JSON.stringify({ body: 'x'.repeat(560) });
    const rate = async (batch: number): Promise<number> => {
      let sent = 0;
      const started = performance.now();
      const until = started + seconds * 1000;
      while (performance.now() < until) {
        const messages = Array.from({ length: batch }, () => ({ key: randomUUID(), value }));
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
        sent += batch;
      }
      return sent / ((performance.now() - started) / 1000);
    };
    return { batchesOf100: await rate(100), oneAtATime: await rate(1) };
  } finally {
    await producer.disconnect();
  }
}
