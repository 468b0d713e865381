import { resultEventOf } from '../order';
import { PaymentCompleted } from '../payment/payment.contracts';
import { Notice } from './notification-channel';

/** What the shopper is told about a payment result, on every channel. */
export function paymentResultNotice(result: PaymentCompleted): Notice {
  const event = resultEventOf(result);
  return {
    orderId: result.orderId,
    userId: result.userId,
    // One notice per payment attempt: a retried payment's result is news, not a duplicate.
    kind: result.attempt === 1 ? 'payment_result' : `payment_result/${result.attempt}`,
    subject: result.outcome === 'APPROVED' ? 'Order confirmed' : 'Order not completed',
    text: event.data.message as string,
    event,
    replyTo: result.replyTo,
  };
}
