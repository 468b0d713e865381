import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, stockOf, TestApp } from './support/test-app';

/** The default a newcomer gets: no database server, PGlite in the process. */
describe('checkout on the embedded database (PGlite)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ PGLITE_DATA_DIR: 'memory://', SEED_DEMO_CATALOGUE: 'true' });
  });
  afterAll(() => app.close());

  it('applies every migration at boot and seeds the demo catalogue', async () => {
    const migrations = await app.db.query(`SELECT name FROM migrations ORDER BY id`);
    expect(migrations.length).toBeGreaterThanOrEqual(6);
    const products = (await app.http().get('/products')).body as { sku: string }[];
    expect(products.map((p) => p.sku)).toContain('CONSOLE-FLASH');
  });

  it('pays an order, and fails a declined one with its stock back', async () => {
    const sku = await newProduct(app.db, { stock: 3 });
    const paid = await new Shopper(app, newShopper()).buy(sku, 1);
    const declined = await new Shopper(app, newShopper()).buy(sku, 1, 'tok_decline');
    expect([paid.status, paid.body.status]).toEqual([201, 'PAID']);
    expect([declined.status, declined.body.status]).toEqual([201, 'PAYMENT_FAILED']);
    expect(await stockOf(app.db, sku)).toBe(2);
  });

  it('places 10 of 50 concurrent orders when 10 are in stock: rollbacks undo only their own work', async () => {
    const sku = await newProduct(app.db, { stock: 10 });
    const shoppers = Array.from({ length: 50 }, () => new Shopper(app, newShopper()));
    for (const shopper of shoppers) await shopper.addToCart(sku, 1);

    const answers = await Promise.all(shoppers.map((shopper) => shopper.placeOrder()));

    expect(answers.filter((a) => a.status === 201 && a.body.status === 'PAID')).toHaveLength(10);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(40);
    expect(await stockOf(app.db, sku)).toBe(0);
    const [{ orders }] = await app.db.query(
      `SELECT count(*)::int AS orders FROM order_lines WHERE sku = $1`,
      [sku],
    );
    expect(orders).toBe(10);
    const [{ held }] = await app.db.query(
      `SELECT count(*)::int AS held FROM stock_reservations WHERE sku = $1 AND status = 'COMMITTED'`,
      [sku],
    );
    expect(held).toBe(10);
  });
});
