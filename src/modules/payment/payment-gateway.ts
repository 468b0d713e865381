/** One authorization, as the payment gateway (an outside system) takes it. */
export interface AuthorizationRequest {
  /** The gateway answers a repeated key with its first answer and charges once. */
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  paymentToken: string;
}

export type Authorization =
  { status: 'APPROVED'; reference: string } | { status: 'DECLINED'; reason: string };

/** The gateway could not answer now (overloaded, unreachable, timed out): worth retrying. */
export class TransientGatewayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientGatewayError';
  }
}

/** The gateway did not answer in time: the authorization may still go through. */
export class GatewayTimeoutError extends TransientGatewayError {
  constructor(timeoutMs: number) {
    super(`gateway timed out after ${timeoutMs} ms`);
    this.name = 'GatewayTimeoutError';
  }
}

/**
 * The port to the payment gateway. The product ships a simulator; a real adapter implements
 * the same method. Implementations must honour `idempotencyKey`.
 */
export abstract class PaymentGateway {
  /** Authorizes an amount; throws TransientGatewayError when the answer may differ on retry. */
  abstract authorize(request: AuthorizationRequest): Promise<Authorization>;

  /**
   * Cancels whatever became of an authorization whose answer never arrived (a timeout), so
   * the shopper is not charged for a payment recorded as failed. A no-op for an unknown key.
   */
  abstract void(idempotencyKey: string): Promise<void>;
}
