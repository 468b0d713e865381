import { EntityManager } from 'typeorm';
import { Payment } from './payment.entity';

/**
 * A payment's row as node-postgres and PGlite read it. Every payment of a sale comes through
 * these statements, which TypeORM's find and insert builders would rebuild at every call: the
 * worker's CPU, not the database, bounds how fast one worker settles.
 */
interface PaymentRow {
  id: string;
  order_id: string;
  attempt: number;
  status: Payment['status'];
  amount_cents: number;
  currency: string;
  gateway_reference: string | null;
  gateway_calls: number;
  reasons: string[];
  created_at: Date;
}

/** The payment recorded for an order's attempt, or null. */
export async function recordedPayment(
  manager: EntityManager,
  orderId: string,
  attempt: number,
): Promise<Payment | null> {
  const [row] = await manager.query<PaymentRow[]>(
    `SELECT id, order_id, attempt, status, amount_cents, currency, gateway_reference,
            gateway_calls, reasons, created_at
       FROM payments WHERE order_id = $1 AND attempt = $2`,
    [orderId, attempt],
  );
  return row ? paymentOf(row) : null;
}

/**
 * Records a payment unless its order's attempt has one already: its creation time, or null when
 * another run of the attempt recorded it first. Only once the order's fraud decision has
 * committed: PaymentService.settle looks for a recorded payment only for an order decided before.
 */
export async function recordPayment(
  manager: EntityManager,
  payment: Omit<Payment, 'createdAt'>,
): Promise<Date | null> {
  const [written] = await manager.query<{ created_at: Date }[]>(
    `INSERT INTO payments (id, order_id, attempt, status, amount_cents, currency,
                           gateway_reference, gateway_calls, reasons)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
     ON CONFLICT DO NOTHING
     RETURNING created_at`,
    [
      payment.id,
      payment.orderId,
      payment.attempt,
      payment.status,
      payment.amountCents,
      payment.currency,
      payment.gatewayReference,
      payment.gatewayCalls,
      JSON.stringify(payment.reasons),
    ],
  );
  return written?.created_at ?? null;
}

function paymentOf(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    attempt: row.attempt,
    status: row.status,
    amountCents: row.amount_cents,
    currency: row.currency,
    gatewayReference: row.gateway_reference,
    gatewayCalls: row.gateway_calls,
    reasons: row.reasons,
    createdAt: row.created_at,
  };
}
