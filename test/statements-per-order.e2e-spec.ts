import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2E_DATABASE_ENV } from './support/database-url';
import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, switchMode, TestApp } from './support/test-app';

/**
 * Counts every statement the app's own connections send, on the real PostgreSQL: at peak each
 * round trip costs the app a system call and PostgreSQL a wake-up, so the statements a paid
 * order costs are what bounds the accept and settle ceilings (see docs/benchmarks).
 */
function countStatements(except: Client) {
  const original = Client.prototype.query;
  let count = 0;
  let commits = 0;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    if (this !== except) {
      count++;
      if (args[0] === 'COMMIT') commits++;
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    count: () => count,
    commits: () => commits,
    stop: () => {
      Client.prototype.query = original;
    },
  };
}

const ORDERS = 40;
/** 43 before the hot path was folded into fewer statements; about 30 after; 25 grouped. */
const BUDGET = 28;
/**
 * About 5 before the results and payments that arrive together shared transactions (the
 * accept, the fraud check, the payment, the order's and the cart's result); about 2.5 after.
 */
const TRANSACTIONS = 3.5;

describe('statements per paid async order', () => {
  let app: TestApp;
  let probe: Client;

  beforeAll(async () => {
    app = await startApp();
    await switchMode(app, 'async');
    probe = new Client({ connectionString: process.env[E2E_DATABASE_ENV] });
    await probe.connect();
  });
  afterAll(async () => {
    await probe.end();
    await app.close();
  });

  it(`accepts, pays, settles the cart and notifies in at most ${BUDGET} statements and ${TRANSACTIONS} transactions`, async () => {
    const sku = await newProduct(app.db, { stock: ORDERS });
    const shoppers = Array.from({ length: ORDERS }, () => new Shopper(app, newShopper()));
    await probe.query(
      `INSERT INTO cart_items (user_id, sku, quantity) SELECT unnest($1::text[]), $2, 1`,
      [shoppers.map((s) => s.id), sku],
    );
    const counter = countStatements(probe);
    try {
      const idleFrom = Date.now();
      const idleStart = counter.count();
      const idleCommits = counter.commits();
      await sleep(3000);
      const idlePerMs = (counter.count() - idleStart) / (Date.now() - idleFrom);
      const idleCommitsPerMs = (counter.commits() - idleCommits) / (Date.now() - idleFrom);

      const from = Date.now();
      const start = counter.count();
      const startCommits = counter.commits();
      const placed = await Promise.all(shoppers.map((s) => s.placeOrder()));
      expect(placed.map((r) => r.status)).toEqual(placed.map(() => 202));
      const ids = placed.map((r) => r.body.id as string);
      await untilSettled(probe, ids, shoppers);
      const spent = counter.count() - start - idlePerMs * (Date.now() - from);
      const perOrder = spent / ORDERS;
      const committed =
        (counter.commits() - startCommits - idleCommitsPerMs * (Date.now() - from)) / ORDERS;
      console.log(
        `per paid async order: ${perOrder.toFixed(1)} statements (budget ${BUDGET}), ` +
          `${committed.toFixed(1)} transactions (budget ${TRANSACTIONS})`,
      );
      expect(perOrder).toBeLessThanOrEqual(BUDGET);
      expect(committed).toBeLessThanOrEqual(TRANSACTIONS);
    } finally {
      counter.stop();
    }
  });
});

/** Until every order is paid, its cart emptied and its shopper told on every channel. */
async function untilSettled(probe: Client, ids: string[], shoppers: Shopper[]) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await probe.query<{ paid: number; told: number; carts: number }>(
      `SELECT (SELECT count(*)::int FROM orders WHERE id = ANY($1) AND status = 'PAID') AS paid,
              (SELECT count(*)::int FROM notifications
                WHERE order_id = ANY($1) AND status = 'SENT') AS told,
              (SELECT count(*)::int FROM cart_items WHERE user_id = ANY($2)) AS carts`,
      [ids, shoppers.map((s) => s.id)],
    );
    const [{ paid, told, carts }] = rows;
    if (paid === ids.length && told === 3 * ids.length && carts === 0) return;
    if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(rows[0])}`);
    await sleep(100);
  }
}
