import { DomainError } from '../../http/domain-error';

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
