import { z } from 'zod';
import { defineContract } from '../../messaging/envelope';
import { Topics } from '../../messaging/topics';

const cents = z.number().int().positive();
const currency = z.string().regex(/^[A-Z]{3}$/);

/** payment.order v1: an order asks to be paid. Key: order id. */
export const paymentRequested = defineContract({
  topic: Topics.paymentOrder,
  version: 1,
  schema: z.object({
    orderId: z.uuid(),
    userId: z.string().min(1).max(64),
    amountCents: cents,
    currency,
    lines: z
      .array(z.object({ sku: z.string().min(1), unitPriceCents: cents, quantity: cents }))
      .min(1),
    paymentToken: z.string().min(1).max(128),
    attempt: z.number().int().positive(),
    /** Where the accepting instance wants the result pushed; null when it waits in-process. */
    replyTo: z.url().nullable(),
    requestedAt: z.iso.datetime({ offset: true }),
  }),
  keyOf: (body) => body.orderId,
});
export type PaymentRequested = z.infer<typeof paymentRequested.schema>;

export const PAYMENT_OUTCOMES = ['APPROVED', 'DECLINED', 'FRAUD_REJECTED', 'ERROR'] as const;
export type PaymentOutcome = (typeof PAYMENT_OUTCOMES)[number];

/** payment.result v1: what became of an order's payment. Key: order id. */
export const paymentCompleted = defineContract({
  topic: Topics.paymentResult,
  version: 1,
  schema: z.object({
    orderId: z.uuid(),
    userId: z.string().min(1).max(64),
    attempt: z.number().int().positive(),
    outcome: z.enum(PAYMENT_OUTCOMES),
    paymentId: z.uuid(),
    amountCents: cents,
    currency,
    reasons: z.array(z.string()),
    replyTo: z.url().nullable(),
    completedAt: z.iso.datetime({ offset: true }),
  }),
  keyOf: (body) => body.orderId,
});
export type PaymentCompleted = z.infer<typeof paymentCompleted.schema>;
