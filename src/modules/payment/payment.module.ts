import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FraudCheckModule } from '../fraud-check';
import { PaymentGateway } from './payment-gateway';
import { PaymentRecords } from './payment-records.service';
import { Payment } from './payment.entity';
import { PaymentHandlers } from './payment.handlers';
import { PaymentService } from './payment.service';
import { SimulatedPaymentGateway } from './simulated-payment-gateway';

/** Settles payment requests: fraud check, the gateway, the record, the result message. */
@Module({
  imports: [TypeOrmModule.forFeature([Payment]), FraudCheckModule],
  controllers: [PaymentHandlers],
  providers: [
    PaymentService,
    PaymentRecords,
    SimulatedPaymentGateway,
    { provide: PaymentGateway, useExisting: SimulatedPaymentGateway },
  ],
  exports: [PaymentRecords, PaymentGateway, SimulatedPaymentGateway],
})
export class PaymentModule {}
