import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { GatewayHealth } from './gateway.health';
import { KafkaHealth } from './kafka.health';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly kafka: KafkaHealth,
    private readonly gateway: GatewayHealth,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({
    summary:
      "The process is up and serving HTTP (and a worker's consumer has not crashed for good).",
  })
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.kafka.alive()]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      "Ready for traffic: the database answers, and a worker's Kafka consumer is in its group. " +
      "The payment gateway's circuit and the sync bulkhead are in the details; an open " +
      'circuit leaves the instance ready.',
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 3000 }),
      () => this.kafka.check(),
      () => this.gateway.check(),
    ]);
  }
}
