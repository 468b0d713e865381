import { Client } from 'pg';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Shopper } from './support/shopper';
import {
  AppOnOwnDatabase,
  newProduct,
  newShopper,
  startAppOnOwnDatabase,
  TestApp,
} from './support/test-app';

/**
 * Counts what the app's own connections send the real PostgreSQL: statements, the COMMITs among
 * them, the socket writes that carry them, and the lookups of a payment already recorded. At peak
 * each write costs the app a system call and wakes a PostgreSQL backend, and each statement and
 * commit costs PostgreSQL its work, so these are what bound the accept and settle ceilings (see
 * docs/benchmarks).
 */
function countTraffic(except: Client) {
  const query = Client.prototype.query;
  const { _write: write, _writev: writev } = Socket.prototype;
  const appSockets = new WeakSet<Socket>();
  const counted = { statements: 0, commits: 0, writes: 0, paymentLookups: 0 };
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    if (this !== except) {
      counted.statements++;
      if (args[0] === 'COMMIT') counted.commits++;
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
      if (text?.includes('FROM payments WHERE order_id')) counted.paymentLookups++;
      appSockets.add((this as unknown as { connection: { stream: Socket } }).connection.stream);
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  Socket.prototype._write = function (this: Socket, ...args: Parameters<Socket['_write']>) {
    if (appSockets.has(this)) counted.writes++;
    return write.apply(this, args);
  };
  Socket.prototype._writev = function (
    this: Socket,
    ...args: Parameters<NonNullable<Socket['_writev']>>
  ) {
    if (appSockets.has(this)) counted.writes++;
    return writev!.apply(this, args);
  };
  return {
    counted: () => ({ ...counted }),
    stop: () => {
      Client.prototype.query = query;
      Object.assign(Socket.prototype, { _write: write, _writev: writev });
    },
  };
}

type Traffic = ReturnType<ReturnType<typeof countTraffic>['counted']>;

/**
 * Budgets per paid order, 40 at once. Statements: 43 before the hot path was folded into fewer,
 * 30 after. Transactions and writes: 5 and 23 before the fraud checks, payments, results and
 * notices that arrive together shared transactions and writes; 2.3 and 8 after. Statements: 25
 * (the shared transactions' BEGIN and COMMIT come with the notices, which had none).
 */
const TOGETHER = {
  orders: 40,
  budget: { statements: 28, commits: 3.2, writes: 11, paymentLookups: 0.1 },
};
/**
 * Budgets per paid order, each placed once the one before is settled: what a worker pays at a
 * low rate, where nothing shares a transaction but what one message does. Five transactions: the
 * acceptance, the fraud check, the payment, the handlers of its result together, the notices'
 * sends; seven while the order's, the cart's and the notices' handlers of a payment result ran
 * one each. Statements and writes: 30 to 31 and 17 to 18; one of each more while every payment
 * request looked for its recorded payment first, where now only one whose order the fraud check
 * had decided before does (no payment is recorded before its order's decision). Lookups: none on
 * a first delivery; the 0.1 leaves room for one handler run again after a failure of its own (a
 * deadlock), which looks as a redelivery does.
 */
const ALONE = {
  orders: 10,
  budget: { statements: 33, commits: 5.5, writes: 20, paymentLookups: 0.1 },
};

describe('statements per paid async order', () => {
  // A database of its own: on the one the other tests share, the watchdog would keep re-driving
  // the orders they leave unpaid on purpose, a burst of transactions a second among these.
  let own: AppOnOwnDatabase;
  let app: TestApp;
  let probe: Client;

  beforeAll(async () => {
    own = await startAppOnOwnDatabase(`peak_statements_${process.pid}`);
    ({ app, probe } = own);
  });
  afterAll(async () => {
    await own?.close();
  });

  /** What `place` costs per order, less what the app sends idle over as long. */
  async function trafficPerOrder(
    shoppers: Shopper[],
    place: () => Promise<string[]>,
  ): Promise<Traffic> {
    const counter = countTraffic(probe);
    try {
      // What the app sends idle (its watchdog, relay and retention), taken off the order's share.
      const idleFrom = Date.now();
      const idleStart = counter.counted();
      await sleep(3000);
      const idleMs = Date.now() - idleFrom;
      const idle = counter.counted();

      const from = Date.now();
      const start = counter.counted();
      const ids = await place();
      await untilSettled(probe, ids, shoppers);
      const end = counter.counted();
      const spentMs = Date.now() - from;
      const perOrder = (figure: keyof Traffic) =>
        (end[figure] - start[figure] - ((idle[figure] - idleStart[figure]) / idleMs) * spentMs) /
        shoppers.length;
      return {
        statements: perOrder('statements'),
        commits: perOrder('commits'),
        writes: perOrder('writes'),
        paymentLookups: perOrder('paymentLookups'),
      };
    } finally {
      counter.stop();
    }
  }

  async function shoppersWithCarts(count: number): Promise<Shopper[]> {
    const sku = await newProduct(app.db, { stock: count });
    const shoppers = Array.from({ length: count }, () => new Shopper(app, newShopper()));
    await probe.query(
      `INSERT INTO cart_items (user_id, sku, quantity) SELECT unnest($1::text[]), $2, 1`,
      [shoppers.map((s) => s.id), sku],
    );
    return shoppers;
  }

  function expectWithin(traffic: Traffic, budget: Traffic, how: string) {
    console.log(
      `per paid async order, ${how}: ${JSON.stringify(traffic, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(1)) : v))} ` +
        `(budget ${JSON.stringify(budget)})`,
    );
    expect(traffic.statements).toBeLessThanOrEqual(budget.statements);
    expect(traffic.commits).toBeLessThanOrEqual(budget.commits);
    expect(traffic.writes).toBeLessThanOrEqual(budget.writes);
    expect(traffic.paymentLookups).toBeLessThanOrEqual(budget.paymentLookups);
  }

  it('commits no transaction while idle: its watchdog, relay and reports only read or autocommit', async () => {
    const counter = countTraffic(probe);
    try {
      await sleep(3000);
      const idle = counter.counted();
      console.log(`idle for 3 s: ${JSON.stringify(idle)}`);
      expect(idle.statements).toBeGreaterThan(0);
      expect(idle.commits).toBe(0);
    } finally {
      counter.stop();
    }
  });

  it('accepts, pays, settles the cart and notifies within its budget of statements, transactions and writes', async () => {
    const shoppers = await shoppersWithCarts(TOGETHER.orders);
    const traffic = await trafficPerOrder(shoppers, async () => {
      const placed = await Promise.all(shoppers.map((s) => s.placeOrder()));
      expect(placed.map((r) => r.status)).toEqual(placed.map(() => 202));
      return placed.map((r) => r.body.id as string);
    });
    expectWithin(traffic, TOGETHER.budget, `${TOGETHER.orders} at once`);
  });

  it('settles an order alone with one transaction for all the handlers of its result', async () => {
    const shoppers = await shoppersWithCarts(ALONE.orders);
    const traffic = await trafficPerOrder(shoppers, async () => {
      const ids: string[] = [];
      for (const shopper of shoppers) {
        const placed = await shopper.placeOrder();
        expect(placed.status).toBe(202);
        ids.push(placed.body.id as string);
        await untilSettled(probe, [placed.body.id as string], [shopper]);
      }
      return ids;
    });
    expectWithin(traffic, ALONE.budget, 'one at a time');
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
