import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Topics } from '../../messaging/topics';
import { Backpressure } from '../../messaging/kafka/backpressure';
import { ApiErrors } from '../../http/api-errors';
import { AdminUser } from '../../http/admin/admin-user.decorator';
import { AdminOnly } from '../../http/admin/admin.guard';
import { BackpressureView, SetBackpressureRequest } from './backpressure.dto';

@ApiTags('admin')
@AdminOnly()
@Controller('admin/backpressure')
export class BackpressureController {
  constructor(private readonly backpressure: Backpressure) {}

  @Get()
  @ApiOperation({
    summary:
      'The ceiling on authorizations each worker may hold at once, the limit in force, changes.',
  })
  @ApiOkResponse({ type: BackpressureView })
  get(): Promise<BackpressureView> {
    return this.view();
  }

  @Put()
  @ApiOperation({
    summary: 'Change the in-flight ceiling of every worker (within about a second).',
    description:
      'Each worker holds as many authorizations as the gateway bears (the limit in force, ' +
      'learnt from its latency and errors), never more than this ceiling. Raising it lets the ' +
      'limit probe higher; lowering it caps the limit at once and takes effect as running ' +
      'authorizations finish. Requests past the limit wait in Kafka.',
  })
  @ApiOkResponse({ type: BackpressureView })
  @ApiErrors(400, 413, 415)
  async set(
    @Body() request: SetBackpressureRequest,
    @AdminUser() by: string,
  ): Promise<BackpressureView> {
    await this.backpressure.set(request.maxInFlight, by, request.reason ?? null);
    return this.view();
  }

  private async view(): Promise<BackpressureView> {
    return {
      ...this.backpressure.current(),
      inUse: this.backpressure.permitsFor(Topics.paymentOrder).inUse(),
      history: await this.backpressure.history(),
    };
  }
}
