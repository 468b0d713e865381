import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { fillCarts } from '../bench/sale';

/** One drill's orders: those of its shoppers (their ids share the drill's prefix). */
export interface DrillOrders {
  shopperPrefix: string;
  sku: string;
  stock: number;
}

/** Runs `query` on a fresh connection, retrying while the database is unreachable. */
export async function withDatabase<T>(
  url: string,
  query: (db: Client) => Promise<T>,
  withinMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const db = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await db.connect();
      return await query(db);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(500);
    } finally {
      await db.end().catch(() => undefined);
    }
  }
}

/** Puts the drill's product on the shelf and one unit of it in each shopper's cart. */
export async function stockTheDrill(db: Client, orders: DrillOrders, shoppers: string[]) {
  await db.query(
    `INSERT INTO products (sku, name, price_cents, currency, stock)
     VALUES ($1, 'Drill sneaker', 9900, 'EUR', $2)`,
    [orders.sku, orders.stock],
  );
  await fillCarts(db, shoppers, orders.sku);
}

/** Waits until none of the drill's orders waits for its payment; false past `withinMs`. */
export async function untilAllFinal(
  url: string,
  orders: DrillOrders,
  withinMs: number,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const waiting = await withDatabase(url, async (db) => {
      const { rows } = await db.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM orders
          WHERE user_id LIKE $1 AND status = 'PENDING_PAYMENT'`,
        [`${orders.shopperPrefix}%`],
      );
      return rows[0].waiting;
    });
    if (waiting === 0) return true;
    await sleep(250);
  }
  return false;
}

/** The drill's orders as the database has them, with epoch-millisecond times. */
export interface OrderRecord {
  id: string;
  status: string;
  createdAt: number;
  /** When it became final (its last update), or null while it waits. */
  finalAt: number | null;
}

export async function ordersOf(db: Client, orders: DrillOrders): Promise<OrderRecord[]> {
  const { rows } = await db.query<{
    id: string;
    status: string;
    created: number;
    updated: number;
  }>(
    `SELECT id, status, extract(epoch FROM created_at) * 1000 AS created,
            extract(epoch FROM updated_at) * 1000 AS updated
       FROM orders WHERE user_id LIKE $1`,
    [`${orders.shopperPrefix}%`],
  );
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    createdAt: Number(row.created),
    finalAt: row.status === 'PENDING_PAYMENT' ? null : Number(row.updated),
  }));
}

/** Each of the drill's payments as recorded (its decision), in epoch milliseconds. */
export async function paymentsOf(
  db: Client,
  orders: DrillOrders,
): Promise<{ orderId: string; at: number }[]> {
  const { rows } = await db.query<{ orderId: string; at: number }>(
    `SELECT p.order_id AS "orderId", extract(epoch FROM p.created_at) * 1000 AS at
       FROM payments p JOIN orders o ON o.id = p.order_id
      WHERE o.user_id LIKE $1 ORDER BY p.created_at`,
    [`${orders.shopperPrefix}%`],
  );
  return rows.map((row) => ({ orderId: row.orderId, at: Number(row.at) }));
}

/** Units held by paid or waiting orders beyond the stock, and paid orders charged twice. */
export async function stockAndPaymentsOf(db: Client, orders: DrillOrders) {
  const { rows } = await db.query<{
    held: number;
    shelf: number;
    paid: number;
    approvedTwice: number;
  }>(
    `SELECT (SELECT coalesce(sum(l.quantity), 0)::int FROM order_lines l
               JOIN orders o ON o.id = l.order_id
              WHERE l.sku = $1 AND o.status IN ('PAID', 'PENDING_PAYMENT')) AS held,
            (SELECT stock FROM products WHERE sku = $1) AS shelf,
            (SELECT count(*)::int FROM orders WHERE user_id LIKE $2 AND status = 'PAID') AS paid,
            (SELECT count(*)::int FROM (SELECT p.order_id FROM payments p
                JOIN orders o ON o.id = p.order_id
               WHERE o.user_id LIKE $2 AND p.status = 'APPROVED'
               GROUP BY p.order_id HAVING count(*) > 1) AS twice) AS "approvedTwice"`,
    [orders.sku, `${orders.shopperPrefix}%`],
  );
  return rows[0];
}

/** Counts per second over [from, from + seconds), of epoch-millisecond times. */
export function perSecond(times: number[], from: number, seconds: number): number[] {
  const counts = new Array<number>(Math.max(0, Math.ceil(seconds))).fill(0);
  for (const at of times) {
    const second = Math.floor((at - from) / 1000);
    if (second >= 0 && second < counts.length) counts[second] += 1;
  }
  return counts;
}

/**
 * The longest stretch in [from, to] with no time in `times`, in seconds: the edges count, so a
 * drill whose payments never resume shows the whole rest of the window.
 */
export function longestGapSeconds(times: number[], from: number, to: number): number {
  const inside = times.filter((at) => at >= from && at <= to).sort((a, b) => a - b);
  let longest = 0;
  let previous = from;
  for (const at of [...inside, to]) {
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return longest / 1000;
}
