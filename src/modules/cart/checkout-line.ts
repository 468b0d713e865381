/** One line of an order as the cart hands it to checkout: priced from the catalogue now. */
export interface CheckoutLine {
  sku: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  currency: string;
}
