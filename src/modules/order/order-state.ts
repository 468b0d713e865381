import { PaymentOutcome } from '../payment/payment.contracts';

export const ORDER_STATUSES = [
  'PENDING_PAYMENT',
  'PAID',
  'PAYMENT_FAILED',
  'FRAUD_REJECTED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What can happen to an order once placed, named for what happened. */
export type OrderEvent =
  'paymentApproved' | 'paymentDeclined' | 'paymentErrored' | 'fraudRejected' | 'paymentRetried';

const TRANSITIONS: Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>> = {
  PENDING_PAYMENT: {
    paymentApproved: 'PAID',
    paymentDeclined: 'PAYMENT_FAILED',
    paymentErrored: 'PAYMENT_FAILED',
    fraudRejected: 'FRAUD_REJECTED',
  },
  PAID: {},
  PAYMENT_FAILED: { paymentRetried: 'PENDING_PAYMENT' },
  FRAUD_REJECTED: {},
};

/** Where the payment is decided; a failed payment may still be retried by the shopper. */
const FINAL: readonly OrderStatus[] = ['PAID', 'PAYMENT_FAILED', 'FRAUD_REJECTED'];

export type Transition =
  | { kind: 'moved'; to: OrderStatus }
  /** The event was already applied (a duplicate result): nothing changes. */
  | { kind: 'already'; status: OrderStatus }
  /** The event makes no sense in this state (a late, conflicting result): nothing changes. */
  | { kind: 'refused'; status: OrderStatus; event: OrderEvent };

/** The state machine of an order: where `event` takes an order that is in `status`. */
export function transition(status: OrderStatus, event: OrderEvent): Transition {
  const to = TRANSITIONS[status][event];
  if (to) return { kind: 'moved', to };
  if (TRANSITIONS.PENDING_PAYMENT[event] === status) return { kind: 'already', status };
  return { kind: 'refused', status, event };
}

export function isFinal(status: OrderStatus): boolean {
  return FINAL.includes(status);
}

const EVENT_OF_OUTCOME: Record<PaymentOutcome, OrderEvent> = {
  APPROVED: 'paymentApproved',
  DECLINED: 'paymentDeclined',
  ERROR: 'paymentErrored',
  FRAUD_REJECTED: 'fraudRejected',
};

export function eventOf(outcome: PaymentOutcome): OrderEvent {
  return EVENT_OF_OUTCOME[outcome];
}

/** The status a payment outcome leaves a waiting order in. */
export function statusAfter(outcome: PaymentOutcome): OrderStatus {
  const moved = transition('PENDING_PAYMENT', eventOf(outcome));
  if (moved.kind !== 'moved') throw new Error(`No transition for outcome ${outcome}`);
  return moved.to;
}
