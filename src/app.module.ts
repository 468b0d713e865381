import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HttpModule } from './http/http.module';
import { MessagingModule } from './messaging/messaging.module';
import { CartModule } from './modules/cart';
import { FraudCheckModule } from './modules/fraud-check';
import { NotificationModule } from './modules/notification';
import { OrderModule } from './modules/order';
import { PaymentModule } from './modules/payment';
import { RuntimeModule } from './runtime/runtime.module';
import { AdminModule } from './ops/admin/admin.module';
import { ConsoleModule } from './ops/console/console.module';
import { HealthModule } from './ops/health/health.module';
import { loggingParams } from './runtime/logging';
import { MetricsModule } from './runtime/metrics/metrics.module';
import { FleetModule } from './fleet/fleet.module';

/** Wires the modules together; nothing else. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        RuntimeModule,
        LoggerModule.forRoot(loggingParams(config)),
        DatabaseModule.forRoot(config),
        MetricsModule.forRoot(),
        HttpModule,
        MessagingModule,
        FleetModule,
        CartModule,
        FraudCheckModule,
        PaymentModule,
        OrderModule,
        NotificationModule,
        HealthModule,
        AdminModule,
        ConsoleModule,
      ],
    };
  }
}
