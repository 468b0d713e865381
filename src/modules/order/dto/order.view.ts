import { ApiProperty } from '@nestjs/swagger';
import { PaymentView } from '../../payment';
import { ORDER_STATUSES, OrderStatus } from '../order-state';

export class OrderLineView {
  @ApiProperty({ example: 'SNEAKER-LIMITED' }) sku!: string;
  @ApiProperty({ example: 'Limited-edition sneaker' }) name!: string;
  @ApiProperty({ example: 18900 }) unitPriceCents!: number;
  @ApiProperty({ example: 1 }) quantity!: number;
}

export class OrderLinks {
  @ApiProperty({ example: '/orders/4b6f…' }) self!: string;
  @ApiProperty({ example: '/orders/4b6f…/timeline' }) timeline!: string;
  @ApiProperty({ example: '/orders/4b6f…/events', description: 'SSE stream (text/event-stream).' })
  events!: string;
  @ApiProperty({
    example: '/orders/4b6f…/payment-retries',
    description: 'POST here to retry a PAYMENT_FAILED order.',
  })
  paymentRetries!: string;
}

export class OrderView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status!: OrderStatus;
  @ApiProperty({
    enum: ['sync', 'async'],
    description: 'The checkout mode the order was accepted in.',
  })
  mode!: string;
  @ApiProperty({ example: 18900 }) amountCents!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ type: [OrderLineView] }) lines!: OrderLineView[];
  @ApiProperty({ nullable: true, type: String, example: 'card_declined' })
  failureReason!: string | null;
  @ApiProperty({ example: 1, description: 'The payment attempt in force (retries add one).' })
  paymentAttempt!: number;
  @ApiProperty({ type: PaymentView, nullable: true }) payment!: PaymentView | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiProperty({ type: OrderLinks }) links!: OrderLinks;
}

export class TimelineEntryView {
  @ApiProperty({ enum: ['PLACED', ...ORDER_STATUSES] }) type!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) detail!: Record<string, unknown>;
  @ApiProperty() at!: Date;
}
