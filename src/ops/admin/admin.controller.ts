import { Body, Controller, Get, Headers, Inject, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { CheckoutModeService } from '../mode/checkout-mode.service';
import { AdminGuard } from './admin.guard';
import { ModeView, SetModeRequest } from './mode.dto';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin')
export class AdminController {
  constructor(
    private readonly modes: CheckoutModeService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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
  @ApiHeader({ name: 'X-Admin-User', required: false, description: 'Who switches, for the audit.' })
  @ApiOkResponse({ type: ModeView })
  async setMode(
    @Body() request: SetModeRequest,
    @Headers('x-admin-user') adminUser: string | undefined,
  ): Promise<ModeView> {
    const by = (adminUser ?? 'admin').slice(0, 64) || 'admin';
    await this.modes.set(request.mode, by, request.reason ?? null);
    return this.view();
  }

  private async view(): Promise<ModeView> {
    return {
      ...this.modes.current(),
      asyncAvailable: this.config.kafka !== null,
      history: await this.modes.history(),
    };
  }
}
