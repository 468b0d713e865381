/**
 * Rows in code-point order of their SKU (not the database collation's, which may ignore
 * dashes): products and cart items are always locked in this order, so two transactions never
 * wait on each other's rows.
 */
export const bySku = (a: { sku: string }, b: { sku: string }): number =>
  a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0;
