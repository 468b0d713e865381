import { Global, Module } from '@nestjs/common';
import { AdminController } from '../admin/admin.controller';
import { CheckoutModeService } from './checkout-mode.service';

/** The runtime checkout mode and the admin API that switches it. */
@Global()
@Module({
  controllers: [AdminController],
  providers: [CheckoutModeService],
  exports: [CheckoutModeService],
})
export class ModeModule {}
