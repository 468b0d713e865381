import { statusAfter } from '../order';
import { PaymentCompleted } from '../payment/payment.contracts';
import { Notice } from './notification-channel';

const TEXT: Record<PaymentCompleted['outcome'], (amount: string) => string> = {
  APPROVED: (amount) => `Your payment of ${amount} was approved. Your order is confirmed.`,
  DECLINED: (amount) => `Your payment of ${amount} was declined. You have not been charged.`,
  ERROR: (amount) =>
    `We could not reach the payment provider for ${amount}. You have not been charged.`,
  FRAUD_REJECTED: () => 'We could not accept this order. You have not been charged.',
};

/** What the shopper is told about a payment result, on every channel. */
export function paymentResultNotice(result: PaymentCompleted): Notice {
  const amount = `${(result.amountCents / 100).toFixed(2)} ${result.currency}`;
  const text = TEXT[result.outcome](amount);
  return {
    orderId: result.orderId,
    userId: result.userId,
    // One notice per payment attempt: a retried payment's result is news, not a duplicate.
    kind: result.attempt === 1 ? 'payment_result' : `payment_result/${result.attempt}`,
    subject: result.outcome === 'APPROVED' ? 'Order confirmed' : 'Order not completed',
    text,
    data: {
      orderId: result.orderId,
      status: statusAfter(result.outcome),
      outcome: result.outcome,
      reasons: result.reasons,
      message: text,
    },
    replyTo: result.replyTo,
  };
}
