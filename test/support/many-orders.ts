import { Shopper } from './shopper';
import { finalOrder, newProduct, newShopper, TestApp } from './test-app';

/** Places `count` async orders at once, each by its own shopper; returns who placed what. */
export async function placeMany(app: TestApp, count: number) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const shopper = new Shopper(app, newShopper());
      const placed = await shopper.buy(await newProduct(app.db, { stock: 1 }));
      expect(placed.status).toBe(202);
      return { shopper, orderId: placed.body.id as string };
    }),
  );
}

/** Expects every order PAID, with one payment recorded and one charge at the gateway each. */
export async function expectPaidOnce(
  app: TestApp,
  orders: { shopper: Shopper; orderId: string }[],
  timeoutMs?: number,
) {
  for (const { shopper, orderId } of orders) {
    expect((await finalOrder(app, shopper.id, orderId, timeoutMs)).status).toBe('PAID');
  }
  const ids = orders.map((o) => o.orderId);
  const payments = await app.db.query<{ order_id: string; n: number }[]>(
    `SELECT order_id, count(*)::int AS n FROM payments WHERE order_id = ANY($1) GROUP BY order_id`,
    [ids],
  );
  expect(payments).toHaveLength(ids.length);
  expect(payments.every((p) => p.n === 1)).toBe(true);
  const charges = app.gatewayLedger().charges;
  expect(ids.map((id) => charges.get(id))).toEqual(ids.map(() => 1));
}
