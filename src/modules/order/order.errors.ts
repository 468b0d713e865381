import { DomainError } from '../../runtime/domain-error';

export class OrderNotFoundError extends DomainError {
  constructor(orderId: string) {
    super('not_found', `Order ${orderId} does not exist.`, { orderId });
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  constructor(key: string, orderId: string) {
    super(
      'unprocessable',
      `Idempotency-Key ${key} was already used for a different request (order ${orderId}); ` +
        'use a new key for a new order.',
      { idempotencyKey: key, orderId },
    );
  }
}

export class OrderNotWaitingError extends DomainError {
  constructor(orderId: string, status: string) {
    super(
      'conflict',
      `Order ${orderId} is ${status}, not waiting for its payment: there is nothing to re-drive.`,
      { orderId, status },
    );
  }
}

export class PaymentNotRetryableError extends DomainError {
  constructor(orderId: string, status: string) {
    super(
      'conflict',
      `Order ${orderId} is ${status}: only a PAYMENT_FAILED order can have its payment retried.`,
      { orderId, status },
    );
  }
}

export class TooManyStreamsError extends DomainError {
  constructor(limit: 'shopper' | 'instance', max: number, retryMs: number) {
    super(
      'too_many',
      limit === 'shopper'
        ? `You have ${max} order streams open, the most allowed: close one before opening another.`
        : `This instance has ${max} order streams open, the most it keeps: reconnect in a moment.`,
      { limit, max },
      Math.ceil(retryMs / 1000),
    );
  }
}

/** A sync checkout refused, before anything was written, while the gateway's circuit is open. */
export class PaymentGatewayDownError extends DomainError {
  constructor(retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(
      'unavailable',
      'Payments are paused: the payment gateway is failing, and gets time to recover before ' +
        'it is called again. Nothing was ordered or charged and your cart is as it was; retry ' +
        `in ${seconds} seconds.`,
      undefined,
      seconds,
    );
  }
}
