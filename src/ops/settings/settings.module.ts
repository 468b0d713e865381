import { Global, Module } from '@nestjs/common';
import { Backpressure } from '../backpressure/backpressure.service';
import { GatewayPace } from '../backpressure/gateway-pace';
import { CheckoutLoadMeter } from '../mode/checkout-load';
import { CheckoutModeService } from '../mode/checkout-mode.service';
import { RuntimeSettings } from './runtime-settings';

/** The knobs the fleet follows at runtime: the checkout mode and the backpressure limit. */
@Global()
@Module({
  providers: [RuntimeSettings, CheckoutModeService, CheckoutLoadMeter, GatewayPace, Backpressure],
  exports: [CheckoutModeService, CheckoutLoadMeter, GatewayPace, Backpressure],
})
export class SettingsModule {}
