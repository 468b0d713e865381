import { Global, Module } from '@nestjs/common';
import { CheckoutLoadMeter } from './mode/checkout-load-meter';
import { CheckoutModeService } from './mode/checkout-mode.service';
import { RuntimeSettings } from './settings/runtime-settings';

/**
 * What the fleet follows at runtime: the settings every instance shares (an admin's change
 * reaches all within a moment) and the checkout mode they hold.
 */
@Global()
@Module({
  providers: [RuntimeSettings, CheckoutModeService, CheckoutLoadMeter],
  exports: [RuntimeSettings, CheckoutModeService, CheckoutLoadMeter],
})
export class FleetModule {}
