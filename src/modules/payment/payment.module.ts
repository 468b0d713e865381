import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { FraudCheckModule } from '../fraud-check';
import { GatewayGuard } from './gateway-guard';
import { HttpPaymentGateway } from './http-payment-gateway';
import { PaymentGateway } from './payment-gateway';
import { PaymentRecords } from './payment-records';
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
    GatewayGuard,
    SimulatedPaymentGateway,
    {
      // The gateway's service when GATEWAY_URL is set (a fleet shares it); else the simulator
      // in this process.
      provide: PaymentGateway,
      inject: [APP_CONFIG, SimulatedPaymentGateway],
      useFactory: (config: AppConfig, simulated: SimulatedPaymentGateway): PaymentGateway =>
        config.gateway.url
          ? new HttpPaymentGateway(config.gateway.url, config.gateway.timeoutMs)
          : simulated,
    },
  ],
  exports: [PaymentRecords, PaymentGateway, GatewayGuard, SimulatedPaymentGateway],
})
export class PaymentModule {}
