import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { Shopper } from './support/shopper';
import {
  AppOnOwnDatabase,
  finalOrder,
  newProduct,
  newShopper,
  startAppOnOwnDatabase,
  TestApp,
} from './support/test-app';

/** Orders waiting for their payment, and a sale's messages already published. */
const BACKLOG = 3000;
/**
 * Rows a settled order may read in the tables that grow with a sale: its own, and its share of what
 * the app reads meanwhile (its watchdog, its relay). A read of the backlog is thousands.
 */
const READS_PER_ORDER = 100;
/** Orders settled one at a time while the backlog waits. */
const SETTLED = 10;

interface Reads {
  /** Rows read whole and index entries read, in both tables together. */
  read: number;
  /** Rows updated: each order commits its reservation, the relay marks its messages. */
  updated: number;
}

/**
 * What PostgreSQL reads to settle one order in the tables a sale grows, with thousands of orders
 * waiting for their payment: on a database whose statistics were taken while it was empty, as a
 * fresh deployment's are, or any whose sale grows its tables faster than they are analyzed. A
 * read that grows with the backlog makes each order dearer than the one before as the sale goes.
 */
describe('rows read per settled order', () => {
  let own: AppOnOwnDatabase;
  let app: TestApp;
  let probe: Client;

  beforeAll(async () => {
    // Two connections, so that the statements of the path run often enough on each for
    // PostgreSQL to settle on the plan it keeps for a prepared statement (after five runs).
    // Retention's prune of the outbox kept out of the count: it reads the outbox whole.
    own = await startAppOnOwnDatabase(`peak_reads_${process.pid}`, {
      DATABASE_POOL_SIZE: '2',
      PRUNE_INTERVAL_MS: '3600000',
    });
    ({ app, probe } = own);
    // Never analyzed since the migrations made them empty, whatever the server's autovacuum.
    for (const table of ['stock_reservations', 'outbox']) {
      await probe.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    }
  });
  afterAll(async () => {
    await own?.close();
  });

  async function settleOneAtATime(count: number): Promise<void> {
    const sku = await newProduct(app.db, { stock: count });
    for (let n = 0; n < count; n++) {
      const shopper = new Shopper(app, newShopper());
      const placed = await shopper.buy(sku);
      expect(placed.status).toBe(202);
      const order = await finalOrder(app, shopper.id, placed.body.id as string);
      expect(order.status).toBe('PAID');
    }
  }

  async function reads(): Promise<Reads> {
    const [row] = (
      await probe.query<{ read: string; updated: string }>(
        `SELECT sum(t.seq_tup_read + i.read) AS read, sum(t.n_tup_upd) AS updated
           FROM pg_stat_user_tables t,
                LATERAL (SELECT sum(idx_tup_read) AS read FROM pg_stat_user_indexes
                          WHERE relid = t.relid) i
          WHERE t.relname IN ('stock_reservations', 'outbox')`,
      )
    ).rows;
    return { read: Number(row.read), updated: Number(row.updated) };
  }

  /**
   * The counts once the app's connections reported what `settle` did. A backend reports its
   * counts when it goes idle, at most once a second; one that went idle sooner reports them
   * within 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL).
   */
  async function readsOf(settle: () => Promise<void>, ordersSettled: number): Promise<number> {
    const before = await reads();
    await settle();
    const deadline = Date.now() + 30_000;
    let after = await reads();
    // Each order commits its reservation; its three messages are each claimed, then marked.
    while (after.updated - before.updated < 7 * ordersSettled && Date.now() < deadline) {
      await sleep(250);
      after = await reads();
    }
    await sleep(11_000);
    after = await reads();
    return (after.read - before.read) / ordersSettled;
  }

  it(`reads as few rows to settle an order with ${BACKLOG} others waiting as with none`, async () => {
    // Orders while the tables are small: the plans PostgreSQL keeps are made now.
    await settleOneAtATime(12);
    const sku = await newProduct(app.db, { stock: BACKLOG });
    // Held from the coming hour: the watchdog's look for units held long leaves them out.
    await probe.query(
      `INSERT INTO stock_reservations (order_id, sku, user_id, quantity, status, updated_at)
       SELECT gen_random_uuid(), $1, 'waiting-' || n, 1, 'RESERVED', now() + interval '1 hour'
         FROM generate_series(1, $2) AS n`,
      [sku, BACKLOG],
    );
    await probe.query(
      `INSERT INTO outbox (message_id, topic, key, envelope, published_at)
       SELECT gen_random_uuid(), 'payment.order', $1 || n, '{}'::jsonb, now()
         FROM generate_series(1, $2) AS n`,
      [randomUUID().slice(0, 8), BACKLOG],
    );

    const perOrder = await readsOf(() => settleOneAtATime(SETTLED), SETTLED);
    console.log(`rows read per settled order with ${BACKLOG} waiting: ${perOrder.toFixed(1)}`);
    expect(perOrder).toBeLessThanOrEqual(READS_PER_ORDER);
  });
});
