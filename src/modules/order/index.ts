export { OrderModule } from './order.module';
export { statusAfter, type OrderStatus } from './order-state';
export { OrderStreams } from './order-streams';
export { PaymentBacklog, type PaymentBacklogCounts } from './payment-backlog';
