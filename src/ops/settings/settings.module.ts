import { Global, Module } from '@nestjs/common';
import { Backpressure } from '../backpressure/backpressure.service';
import { CheckoutModeService } from '../mode/checkout-mode.service';
import { RuntimeSettings } from './runtime-settings';

/** The knobs the fleet follows at runtime: the checkout mode and the backpressure limit. */
@Global()
@Module({
  providers: [RuntimeSettings, CheckoutModeService, Backpressure],
  exports: [CheckoutModeService, Backpressure],
})
export class SettingsModule {}
