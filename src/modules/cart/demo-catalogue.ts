/** The catalogue a fresh install starts with, so the API has something to sell at once. */
export const DEMO_CATALOGUE = [
  { sku: 'SNEAKER-LIMITED', name: 'Limited-edition sneaker', priceCents: 18900, stock: 100 },
  { sku: 'HOODIE-BLACK', name: 'Black hoodie', priceCents: 5900, stock: 500 },
  { sku: 'CAP-LOGO', name: 'Logo cap', priceCents: 2400, stock: 1000 },
  { sku: 'SOCKS-3PACK', name: 'Socks, pack of three', priceCents: 1500, stock: 2000 },
  { sku: 'CONSOLE-FLASH', name: 'Game console (flash sale)', priceCents: 39900, stock: 10 },
] as const;
