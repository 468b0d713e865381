/**
 * Cart: the catalogue, shoppers' carts and the stock held for orders awaiting payment.
 *
 * Offers: `CartService` (the lines an order takes, the cart held for one order at a time),
 * `StockService` (reserve, commit, put back), `CartSettlement` (what a decided order does to the
 * cart and stock), `CatalogueService` (prices). Listens to `payment.result`.
 */
export { CartModule } from './cart.module';
export { CartService, holdCartSql, type HeldCartRow } from './cart.service';
export { CartSettlement } from './cart-settlement';
export { CatalogueService, type CataloguePrice } from './catalogue.service';
export { type CheckoutLine } from './checkout-line';
export { StockService } from './stock.service';
