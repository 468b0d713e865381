export { OrderModule } from './order.module';
export { resultEventOf, type OrderStreamEvent } from './order-result';
export { type OrderStatus } from './order-state';
export { OrderStreams } from './order-streams';
export { ORDER_UPDATES_PATH } from './order-updates.controller';
export { PaymentBacklog, type PaymentBacklogCounts } from './payment-watch/payment-backlog';
