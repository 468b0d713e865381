import { PaymentRequested } from '../payment/payment.contracts';
import { Order, OrderLine } from './order.entities';

/** The payment request of an order, as placed or as asked again. */
export function paymentRequestOf(
  order: Pick<Order, 'id' | 'userId' | 'amountCents' | 'currency' | 'paymentToken'>,
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
    attempt: 1,
    replyTo,
    requestedAt: new Date().toISOString(),
  };
}
