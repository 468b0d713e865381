import { Injectable } from '@nestjs/common';
import { InstanceAddress } from '../../../http/instance-address';
import { TransactionContext } from '../../../messaging';
import { CheckoutMode } from '../../../fleet/mode/checkout-mode';
import { PaymentRequested, paymentRequested } from '../../payment/payment.contracts';
import { ORDER_UPDATES_PATH } from '../live-updates/order-updates.controller';
import { Order } from '../order.entity';
import { OrderLine } from '../order-line.entity';

export type PayableOrder = Pick<
  Order,
  'id' | 'userId' | 'amountCents' | 'currency' | 'paymentToken' | 'paymentAttempt'
>;

/**
 * Asks for the payment of an order's current attempt (placed, retried or re-driven) inside the
 * caller's unit of work: over Kafka in async mode, with this instance as the address to push
 * the result back to; in-process in sync mode.
 */
@Injectable()
export class PaymentRequests {
  constructor(private readonly address: InstanceAddress) {}

  publish(
    tx: Pick<TransactionContext, 'publish'>,
    order: PayableOrder,
    lines: Pick<OrderLine, 'sku' | 'unitPriceCents' | 'quantity'>[],
    mode: CheckoutMode,
  ): void {
    const replyTo = mode === 'async' ? this.address.replyTo(ORDER_UPDATES_PATH) : null;
    tx.publish(paymentRequested, paymentRequestOf(order, lines, replyTo), {
      delivery: mode === 'async' ? 'kafka' : 'in-process',
    });
  }
}

function paymentRequestOf(
  order: PayableOrder,
  lines: Pick<OrderLine, 'sku' | 'unitPriceCents' | 'quantity'>[],
  replyTo: string | null,
): PaymentRequested {
  return {
    orderId: order.id,
    userId: order.userId,
    amountCents: order.amountCents,
    currency: order.currency,
    lines: lines.map(({ sku, unitPriceCents, quantity }) => ({ sku, unitPriceCents, quantity })),
    paymentToken: order.paymentToken,
    attempt: order.paymentAttempt,
    replyTo,
    requestedAt: new Date().toISOString(),
  };
}
