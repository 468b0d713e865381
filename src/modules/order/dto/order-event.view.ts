import { ApiProperty } from '@nestjs/swagger';
import { PAYMENT_OUTCOMES } from '../../payment/payment.contracts';
import { ORDER_STATUSES, OrderStatus } from '../order-state';
import { OrderView } from './order.view';

/*
 * The events of an order's stream (GET /orders/{id}/events), one class each as a client reads
 * it: the `event:` line names it, `data:` is its JSON, and `id:` and `retry:` come when it has
 * them.
 */

export class OrderStatusEvent {
  @ApiProperty({ enum: ['status'] }) event!: 'status';
  @ApiProperty({ type: OrderView, description: 'The order as it is when the stream opens.' })
  data!: OrderView;
  @ApiProperty({
    type: 'integer',
    example: 3000,
    description: 'Milliseconds to wait before reconnecting (SSE_RETRY_MS); EventSource obeys it.',
  })
  retry!: number;
}

export class PaymentResultView {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ enum: ORDER_STATUSES, description: 'The status the payment left the order in.' })
  status!: OrderStatus;
  @ApiProperty({ enum: PAYMENT_OUTCOMES }) outcome!: string;
  @ApiProperty({ type: [String], example: ['card_declined'] }) reasons!: string[];
  @ApiProperty({
    example: 'Your payment of 189.00 EUR was approved. Your order is confirmed.',
    description: 'What the shopper is told (mail and SMS say the same).',
  })
  message!: string;
}

export class PaymentResultEvent {
  @ApiProperty({ enum: ['result'] }) event!: 'result';
  @ApiProperty({
    example: 'result/1',
    description: 'result/<attempt>: one result per payment attempt, shown once.',
  })
  id!: string;
  @ApiProperty({ type: PaymentResultView }) data!: PaymentResultView;
}

export class HeartbeatData {
  @ApiProperty() at!: Date;
}

export class HeartbeatEvent {
  @ApiProperty({ enum: ['heartbeat'] }) event!: 'heartbeat';
  @ApiProperty({ type: HeartbeatData }) data!: HeartbeatData;
}

/** Each event's class by its name. */
export const ORDER_EVENTS = {
  status: OrderStatusEvent,
  result: PaymentResultEvent,
  heartbeat: HeartbeatEvent,
};
