import { PaymentView } from '../payment';
import { OrderView } from './dto/order.view';
import { Order } from './order.entity';

type OrderFields = Pick<
  Order,
  | 'id'
  | 'status'
  | 'mode'
  | 'amountCents'
  | 'currency'
  | 'failureReason'
  | 'paymentAttempt'
  | 'createdAt'
  | 'updatedAt'
>;

interface LineFields {
  sku: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
}

/** An order as its shopper sees it: its row, its lines (by SKU) and its latest payment. */
export function orderViewOf(
  order: OrderFields,
  lines: readonly LineFields[],
  payment: PaymentView | null,
): OrderView {
  const base = `/orders/${order.id}`;
  return {
    id: order.id,
    status: order.status,
    mode: order.mode,
    amountCents: order.amountCents,
    currency: order.currency,
    lines: lines.map(({ sku, name, unitPriceCents, quantity }) => ({
      sku,
      name,
      unitPriceCents,
      quantity,
    })),
    failureReason: order.failureReason,
    paymentAttempt: order.paymentAttempt,
    payment,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    links: {
      self: base,
      timeline: `${base}/timeline`,
      events: `${base}/events`,
      paymentRetries: `${base}/payment-retries`,
    },
  };
}
