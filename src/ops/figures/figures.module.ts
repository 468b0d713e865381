import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrderModule } from '../../modules/order';
import { PaymentModule } from '../../modules/payment';
import { FleetFigures } from './fleet-figures';
import { InstanceReport } from './instance-report.entity';
import { InstanceReporter } from './instance-reporter';

/** Live figures of the fleet for the admin console: each instance reports, API ones add up. */
@Module({
  imports: [TypeOrmModule.forFeature([InstanceReport]), OrderModule, PaymentModule],
  providers: [InstanceReporter, FleetFigures],
  exports: [FleetFigures],
})
export class FiguresModule {}
