export { OrderModule } from './order.module';
export { resultEventOf, type OrderStreamEvent } from './order-result';
export { type OrderStatus } from './order-state';
export { OrderStreams } from './order-streams';
export { PaymentBacklog, type PaymentBacklogCounts } from './payment-watch/payment-backlog';
