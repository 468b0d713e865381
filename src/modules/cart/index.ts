export { CartModule } from './cart.module';
export { CartService } from './cart.service';
export { CartSettlement } from './cart-settlement';
export { CatalogueService, type CataloguePrice } from './catalogue.service';
export { type CheckoutLine } from './checkout-line';
export { StockService } from './stock.service';
