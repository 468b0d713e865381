import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PaymentModule } from '../../modules/payment';
import { GatewayHealth } from './gateway.health';
import { HealthController } from './health.controller';
import { KafkaHealth } from './kafka.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), PaymentModule],
  controllers: [HealthController],
  providers: [KafkaHealth, GatewayHealth],
})
export class HealthModule {}
