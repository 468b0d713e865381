import { Injectable } from '@nestjs/common';
import { CheckoutLoadMeter } from '../../../fleet/mode/checkout-load-meter';
import { GatewayGuard } from '../../payment';
import { PaymentGatewayDownError } from '../order.errors';

/**
 * The way into a sync checkout: refused at once while the gateway's circuit is open, else run
 * in the bulkhead (see CheckoutLoadMeter). Both refusals come before the checkout's
 * transaction, so a refused checkout leaves no order, no stock held and no cart held.
 */
@Injectable()
export class SyncCheckoutGate {
  constructor(
    private readonly load: CheckoutLoadMeter,
    private readonly gateway: GatewayGuard,
  ) {}

  /** Runs `work` (the checkout's transaction and its payment), or refuses it with a 503. */
  run<T>(work: () => Promise<T>): Promise<T> {
    this.refuseWhileCircuitOpen();
    // Looked at again once a slot is free: the circuit may have opened during the wait.
    return this.load.duringSyncCheckout(() => {
      this.refuseWhileCircuitOpen();
      return work();
    });
  }

  private refuseWhileCircuitOpen(): void {
    const retryAfterMs = this.gateway.retryAfterMs();
    if (retryAfterMs === 0) return;
    this.load.refusedFor('circuit_open');
    throw new PaymentGatewayDownError(retryAfterMs);
  }
}
