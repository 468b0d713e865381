import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { GatewayGuard } from '../../modules/payment';
import { CheckoutLoadMeter } from '../../fleet/mode/checkout-load-meter';

/**
 * The payment gateway as this instance sees it: its circuit, and the sync checkouts in the
 * bulkhead. Always up: an open circuit is the gateway's trouble, and taking this instance out
 * of the load balancer would not bring it back (async orders are still accepted meanwhile).
 */
@Injectable()
export class GatewayHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly gateway: GatewayGuard,
    private readonly load: CheckoutLoadMeter,
  ) {}

  check(): HealthIndicatorResult<'paymentGateway'> {
    const retryAfterMs = this.gateway.retryAfterMs();
    return this.health.check('paymentGateway').up({
      circuit: this.gateway.state(),
      ...(retryAfterMs > 0 ? { probeInMs: retryAfterMs } : {}),
      syncCheckouts: this.load.syncCheckouts(),
    });
  }
}
