import { PaymentCompleted } from '../../payment/payment.contracts';
import { statusAfter } from '../order-state';

/**
 * An update pushed to the browsers following an order. `id` names the update, so a stream that
 * hears it twice (the worker's callback and the fleet's notice) shows it once.
 */
export interface OrderStreamEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

const TEXT: Record<PaymentCompleted['outcome'], (amount: string) => string> = {
  APPROVED: (amount) => `Your payment of ${amount} was approved. Your order is confirmed.`,
  DECLINED: (amount) => `Your payment of ${amount} was declined. You have not been charged.`,
  ERROR: (amount) =>
    `We could not reach the payment provider for ${amount}. You have not been charged.`,
  FRAUD_REJECTED: () => 'We could not accept this order. You have not been charged.',
};

/**
 * The `result` event of a decided payment attempt: the order's new status and what the shopper
 * is told (mail and SMS tell the same words).
 */
export function resultEventOf(result: PaymentCompleted): OrderStreamEvent {
  const amount = `${(result.amountCents / 100).toFixed(2)} ${result.currency}`;
  return {
    id: `result/${result.attempt}`,
    type: 'result',
    data: {
      orderId: result.orderId,
      status: statusAfter(result.outcome),
      outcome: result.outcome,
      reasons: result.reasons,
      message: TEXT[result.outcome](amount),
    },
  };
}
