import { Global, Module } from '@nestjs/common';
import { Backpressure } from '../backpressure/backpressure.service';
import { CheckoutLoadMeter } from '../mode/checkout-load';
import { CheckoutModeService } from '../mode/checkout-mode.service';
import { RuntimeSettings } from './runtime-settings';

/** The knobs the fleet follows at runtime: the checkout mode and the backpressure limit. */
@Global()
@Module({
  providers: [RuntimeSettings, CheckoutModeService, CheckoutLoadMeter, Backpressure],
  exports: [CheckoutModeService, CheckoutLoadMeter, Backpressure],
})
export class SettingsModule {}
