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

/**
 * The gateway refused the call for now because it is past its capacity (429 Too Many Requests):
 * it is alive and asks its callers to slow down. The adaptive limit and the bulkhead answer
 * that; it does not open the circuit, which is for a gateway that is down.
 */
export class GatewayOverloadedError extends TransientGatewayError {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayOverloadedError';
  }
}

/**
 * The gateway took the call but no answer came back (the connection broke, or a proxy failed):
 * the authorization may have gone through. Asking again with the same key tells; if no answer
 * ever comes, the key must be voided before the payment is recorded as failed.
 */
export class UnansweredGatewayError extends TransientGatewayError {
  constructor(message: string) {
    super(message);
    this.name = 'UnansweredGatewayError';
  }
}

/** The gateway did not answer in time: the authorization may still go through. */
export class GatewayTimeoutError extends UnansweredGatewayError {
  constructor(timeoutMs: number) {
    super(`gateway timed out after ${timeoutMs} ms`);
    this.name = 'GatewayTimeoutError';
  }
}

/**
 * The circuit to the gateway is open: calls failed one after another, so none is sent until
 * `retryAfterMs` has passed; then one call probes whether the gateway is back.
 */
export class GatewayCircuitOpenError extends TransientGatewayError {
  constructor(readonly retryAfterMs: number) {
    super(`gateway circuit open: calls paused for ${retryAfterMs} ms while the gateway recovers`);
    this.name = 'GatewayCircuitOpenError';
  }
}

/**
 * The port to the payment gateway. Two implementations ship: the simulator in-process, and an
 * HTTP adapter (to the simulator's service, or a gateway with the same API). Implementations
 * must honour `idempotencyKey`.
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
