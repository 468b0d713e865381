import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { Response } from 'supertest';
import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, stockOf, switchMode, TestApp } from './support/test-app';

const SHOPPERS = 30;

/** A shopper for each cart, the cart's units (one of each SKU) in it. */
async function shoppersWith(app: TestApp, carts: string[][]): Promise<Shopper[]> {
  const shoppers = carts.map(() => new Shopper(app, newShopper()));
  const items = carts.flatMap((skus, at) => skus.map((sku) => [shoppers[at].id, sku]));
  await app.db.query(
    `INSERT INTO cart_items (user_id, sku, quantity) SELECT unnest($1::text[]), unnest($2::text[]), 1`,
    [items.map(([user]) => user), items.map(([, sku]) => sku)],
  );
  return shoppers;
}

/**
 * Every shopper checks out at once while `sku`'s row is held elsewhere for a second: the first
 * lanes wait at their commit, and the checkouts that arrive behind them wait for a lane, as at a
 * flash sale's peak.
 */
async function checkOutWhileHeld(app: TestApp, sku: string, shoppers: Shopper[]) {
  const holder = app.db.createQueryRunner();
  await holder.startTransaction();
  try {
    await holder.query(`SELECT 1 FROM products WHERE sku = $1 FOR UPDATE`, [sku]);
    const placing = Promise.all(shoppers.map((shopper) => shopper.placeOrder()));
    await sleep(1000);
    await holder.commitTransaction();
    return await placing;
  } finally {
    await holder.release();
  }
}

/** `during`'s result, and how many statements the app sent meanwhile whose text has `part`. */
async function sentWhile<T>(part: string, during: () => Promise<T>): Promise<[T, number]> {
  const query = Client.prototype.query;
  let sent = 0;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
    if (text?.includes(part)) sent++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    return [await during(), sent];
  } finally {
    Client.prototype.query = query;
  }
}

const statusesOf = (answers: Response[]) => answers.map((answer) => answer.status);

describe('checkouts that arrive together', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
    await switchMode(app, 'async');
  });
  afterAll(() => app.close());

  it('are accepted in shared transactions, each order whole, the shelf taken once for all', async () => {
    const sku = await newProduct(app.db, { stock: SHOPPERS });
    const shoppers = await shoppersWith(
      app,
      Array.from({ length: SHOPPERS }, () => [sku]),
    );

    const [answers, reservations] = await sentWhile('UPDATE products SET stock = stock -', () =>
      checkOutWhileHeld(app, sku, shoppers),
    );

    expect(statusesOf(answers)).toEqual(answers.map(() => 202));
    const ids = answers.map((a) => a.body.id as string);
    // A row's xmin is the transaction that wrote it; an order's lines are never rewritten.
    const [{ transactions, orders, lines }] = await app.db.query(
      `SELECT count(DISTINCT l.xmin::text)::int AS transactions,
              count(DISTINCT l.order_id)::int AS orders, count(*)::int AS lines
         FROM order_lines l WHERE l.order_id = ANY($1)`,
      [ids],
    );
    expect({ orders, lines }).toEqual({ orders: SHOPPERS, lines: SHOPPERS });
    expect(transactions).toBeLessThan(SHOPPERS / 2);
    // The orders of a transaction take the product's row in one statement, not one each.
    expect(reservations).toBe(transactions);
    const [{ held }] = await app.db.query(
      `SELECT count(*)::int AS held FROM stock_reservations WHERE order_id = ANY($1)`,
      [ids],
    );
    expect(held).toBe(SHOPPERS);
    expect(await stockOf(app.db, sku)).toBe(0);
  });

  it('take the rows of the products they share in one order, whatever their carts', async () => {
    // Carts of B, of A and of both, in turn: side by side in one transaction, a unit of B and one
    // of A would lock B before A where another transaction locks A before B, and PostgreSQL
    // would then abort one of them. More checkouts than one transaction takes, so several lanes
    // commit at once.
    const shoppers = 6 * SHOPPERS;
    const [a, b] = [
      await newProduct(app.db, { stock: shoppers }),
      await newProduct(app.db, { stock: shoppers }),
    ];
    const carts = Array.from({ length: shoppers }, (_, at) => [[b], [a], [a, b]][at % 3]);

    const answers = await checkOutWhileHeld(app, a, await shoppersWith(app, carts));

    expect(statusesOf(answers)).toEqual(answers.map(() => 202));
  });

  it('refuse only the orders the shelf cannot fill, and save nothing of those', async () => {
    const sku = await newProduct(app.db, { stock: 10 });
    const shoppers = await shoppersWith(
      app,
      Array.from({ length: SHOPPERS }, () => [sku]),
    );

    const answers = await Promise.all(shoppers.map((shopper) => shopper.placeOrder()));

    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(SHOPPERS - 10);
    expect(refused[0].body.message).toBe(`Product ${sku} has 0 left, 1 requested.`);
    expect(await stockOf(app.db, sku)).toBe(0);
    const refusedShoppers = shoppers.filter((_, at) => answers[at].status === 409);
    const ids = refusedShoppers.map((s) => s.id);
    const [{ orders, holds }] = await app.db.query(
      `SELECT (SELECT count(*)::int FROM orders WHERE user_id = ANY($1)) AS orders,
              (SELECT count(*)::int FROM stock_reservations WHERE user_id = ANY($1)) AS holds`,
      [ids],
    );
    expect({ orders, holds }).toEqual({ orders: 0, holds: 0 });
    for (const shopper of refusedShoppers) {
      expect((await shopper.cart()).body.items).toEqual([expect.objectContaining({ sku })]);
    }
  });
});
