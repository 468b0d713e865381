import { DomainError } from '../../runtime/domain-error';

export class UnknownProductError extends DomainError {
  constructor(sku: string) {
    super('not_found', `Product ${sku} does not exist.`, { sku });
  }
}

export class InsufficientStockError extends DomainError {
  constructor(sku: string, left: number, requested: number) {
    super('conflict', `Product ${sku} has ${left} left, ${requested} requested.`, {
      sku,
      left,
      requested,
    });
  }
}

export class NotInCartError extends DomainError {
  constructor(sku: string) {
    super('not_found', `Product ${sku} is not in your cart.`, { sku });
  }
}

export class EmptyCartError extends DomainError {
  constructor() {
    super('unprocessable', 'Your cart is empty: add items before placing an order.');
  }
}

export class MixedCurrencyError extends DomainError {
  constructor(currencies: string[]) {
    super('unprocessable', `Your cart mixes currencies (${currencies.join(', ')}); one is needed.`);
  }
}

export class StockStillHeldError extends DomainError {
  constructor(orderId: string) {
    super(
      'conflict',
      `Order ${orderId}'s failed payment is still being settled (its units are not released ` +
        'yet); retry in a moment.',
      { orderId },
    );
  }
}

export class OrderUnderWayError extends DomainError {
  constructor(orderId: string) {
    super(
      'conflict',
      `Your cart is being ordered as order ${orderId}, which awaits its payment: follow that ` +
        'order, and place another once its payment is decided.',
      { orderId },
    );
  }
}
