import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CheckoutModeService } from '../../fleet/mode/checkout-mode.service';
import { ApiErrors } from '../../http/api-errors';
import { AdminUser } from '../../http/admin/admin-user.decorator';
import { AdminOnly } from '../../http/admin/admin.guard';
import { ModeView, SetModeRequest } from './mode.dto';

@ApiTags('admin')
@AdminOnly()
@Controller('admin')
export class ModeController {
  constructor(private readonly modes: CheckoutModeService) {}

  @Get('mode')
  @ApiOperation({ summary: 'The checkout mode, who set it and when, and the switches so far.' })
  @ApiOkResponse({ type: ModeView })
  mode(): Promise<ModeView> {
    return this.view();
  }

  @Put('mode')
  @ApiOperation({
    summary: 'Switch the checkout mode of every instance (within about a second).',
    description:
      'Orders already accepted finish in the mode they were accepted in. Switching to async ' +
      'with no Kafka configured is refused with 409.',
  })
  @ApiOkResponse({ type: ModeView })
  @ApiErrors(400, 413, 415, { 409: 'Async or auto mode, with no Kafka configured.' })
  async setMode(@Body() request: SetModeRequest, @AdminUser() by: string): Promise<ModeView> {
    await this.modes.set(request.mode, by, request.reason ?? null);
    return this.view();
  }

  private async view(): Promise<ModeView> {
    return {
      ...this.modes.current(),
      asyncAvailable: this.modes.asyncAvailable(),
      history: await this.modes.history(),
    };
  }
}
