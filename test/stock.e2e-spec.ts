import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, stockOf, switchMode, TestApp } from './support/test-app';

describe('stock under concurrent orders', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('places 10 of 50 concurrent orders when 10 are in stock, never going negative', async () => {
    const sku = await newProduct(app.db, { stock: 10 });
    const shoppers = Array.from({ length: 50 }, () => new Shopper(app, newShopper()));
    for (const shopper of shoppers) expect((await shopper.addToCart(sku, 1)).status).toBe(200);

    const answers = await Promise.all(shoppers.map((shopper) => shopper.placeOrder()));

    const paid = answers.filter((a) => a.status === 201 && a.body.status === 'PAID');
    const refused = answers.filter((a) => a.status === 409);
    expect(paid).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(refused[0].body.message).toMatch(new RegExp(`Product ${sku} has 0 left, 1 requested`));
    expect(await stockOf(app.db, sku)).toBe(0);
    const [{ orders }] = await app.db.query(
      `SELECT count(*)::int AS orders FROM order_lines WHERE sku = $1`,
      [sku],
    );
    expect(orders).toBe(10);
  });

  it('saves nothing of an order refused for stock: no order, no reservation, stock unchanged', async () => {
    const plenty = await newProduct(app.db, { stock: 10 });
    const scarce = await newProduct(app.db, { stock: 5 });
    const shopper = new Shopper(app, newShopper());
    await shopper.addToCart(plenty, 2);
    await shopper.addToCart(scarce, 5);
    await app.db.query(`UPDATE products SET stock = 3 WHERE sku = $1`, [scarce]);

    const answer = await shopper.placeOrder();

    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      statusCode: 409,
      message: `Product ${scarce} has 3 left, 5 requested.`,
      details: { sku: scarce, left: 3, requested: 5 },
    });
    expect(await stockOf(app.db, plenty)).toBe(10);
    expect(await stockOf(app.db, scarce)).toBe(3);
    const orders = await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [shopper.id]);
    expect(orders).toEqual([]);
    const held = await app.db.query(`SELECT * FROM stock_reservations WHERE user_id = $1`, [
      shopper.id,
    ]);
    expect(held).toEqual([]);
    expect((await shopper.cart()).body.items).toHaveLength(2);
  });

  // The reservation goes with the commit, after the order and its payment request are written:
  // its refusal must take them back too.
  it('in async mode, leaves no order and no payment request of an order refused for stock', async () => {
    await switchMode(app, 'async');
    try {
      const scarce = await newProduct(app.db, { stock: 5 });
      const shopper = new Shopper(app, newShopper());
      await shopper.addToCart(scarce, 5);
      await app.db.query(`UPDATE products SET stock = 4 WHERE sku = $1`, [scarce]);

      const answer = await shopper.placeOrder();

      expect(answer.status).toBe(409);
      expect(answer.body.details).toEqual({ sku: scarce, left: 4, requested: 5 });
      expect(await stockOf(app.db, scarce)).toBe(4);
      expect(await app.db.query(`SELECT id FROM orders WHERE user_id = $1`, [shopper.id])).toEqual(
        [],
      );
      const requests = await app.db.query(
        `SELECT id FROM outbox WHERE envelope->'body'->>'userId' = $1`,
        [shopper.id],
      );
      expect(requests).toEqual([]);
      expect((await shopper.cart()).body.items).toHaveLength(1);

      // With the stock back, the same order is accepted and its request is where it was looked for.
      await app.db.query(`UPDATE products SET stock = 5 WHERE sku = $1`, [scarce]);
      expect((await shopper.placeOrder()).status).toBe(202);
      expect(
        await app.db.query(`SELECT id FROM outbox WHERE envelope->'body'->>'userId' = $1`, [
          shopper.id,
        ]),
      ).toHaveLength(1);
    } finally {
      await switchMode(app, 'sync');
    }
  });
});
