import { PaymentRequested } from '../payment/payment.contracts';
import { Order, OrderLine } from './order.entities';

/** The payment request of an order's current attempt, as placed, retried or re-driven. */
export function paymentRequestOf(
  order: Pick<
    Order,
    'id' | 'userId' | 'amountCents' | 'currency' | 'paymentToken' | 'paymentAttempt'
  >,
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
