export { OrderModule } from './order.module';
export { resultEventOf, type OrderStreamEvent } from './live-updates/order-result';
export { type OrderStatus } from './order-state';
export { OrderStreams } from './live-updates/order-streams';
export { ORDER_UPDATES_PATH } from './live-updates/order-updates.controller';
export { PaymentBacklog, type PaymentBacklogCounts } from './payment-watch/payment-backlog';
