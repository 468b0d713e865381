import { StandingState } from '../../../messaging';

/**
 * Where an order's payment stands: a sync order's runs in the process that accepted it
 * (`in_process`); an async order's message stands where MessageStandings says.
 */
export type PaymentStanding = 'in_process' | StandingState;

export const PAYMENT_STANDINGS: readonly PaymentStanding[] = [
  'in_process',
  'unpublished',
  'queued',
  'passed',
  'unknown',
  'untracked',
];

/** `lost`: nothing will bring its result but a re-drive; `late`: its result is on its way. */
export type Verdict = 'late' | 'lost';

export const VERDICTS: readonly Verdict[] = ['late', 'lost'];

/**
 * Past its deadline, these say the payment will not come by itself: a sync payment's process
 * is gone; the workers passed its message with no result, or there is nothing to tell where it
 * is (judged by the clock, as before landings were recorded). A message still in the outbox is
 * lost once it waited there the whole window: one staged a moment ago (the result a worker just
 * recorded) is on its way.
 */
const LOST_PAST_DEADLINE = new Set<PaymentStanding>(['in_process', 'passed', 'untracked']);

/** Where an order's payment stands, and for a message in the outbox, how long it has been. */
export interface PaymentWhereabouts {
  standing: PaymentStanding;
  stagedMsAgo: number | null;
}

/**
 * Tells a lost payment from a late one. Before its deadline an order is never lost (a sync
 * payment may still be running; a re-driven one is running again). Past it, a message still
 * queued is late however long it waits: a re-drive would only put a second request behind it
 * in the same backlog. So is one whose position is unknown for now, as a re-drive needs the
 * same Kafka. An order flagged for a human stays lost.
 */
export function verdictOf(
  order: { overdue: boolean; flagged: boolean },
  payment: PaymentWhereabouts,
  lossWindowMs: number,
): Verdict {
  if (order.flagged) return 'lost';
  if (!order.overdue) return 'late';
  if (payment.standing === 'unpublished') {
    return (payment.stagedMsAgo ?? Infinity) >= lossWindowMs ? 'lost' : 'late';
  }
  return LOST_PAST_DEADLINE.has(payment.standing) ? 'lost' : 'late';
}
