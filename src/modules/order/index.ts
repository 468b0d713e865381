/**
 * Order: checkout and the order's life, from the cart to a final status.
 *
 * Inside, by use case: `checkout/` (placing an order, retrying its payment, one accept flow in
 * either mode), `live-updates/` (SSE streams and the callbacks that feed them),
 * `payment-watch/` (the watchdog: late and lost payments, re-drives, stuck orders).
 *
 * Offers: `OrderStreams` and the stream events, `OrderStatus`, `PaymentBacklog` (figures).
 * Publishes `payment.order`; listens to `payment.result`.
 */
export { OrderModule } from './order.module';
export { resultEventOf, type OrderStreamEvent } from './live-updates/order-result';
export { type OrderStatus } from './order-state';
export { OrderStreams } from './live-updates/order-streams';
export {
  MAX_ORDER_UPDATES_PER_CALL,
  ORDER_UPDATES_PATH,
  type OrderUpdate,
  STREAMS_REACHED_HEADER,
} from './live-updates/order-updates.controller';
export { PaymentBacklog, type PaymentBacklogCounts } from './payment-watch/payment-backlog';
