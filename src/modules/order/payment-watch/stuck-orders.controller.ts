import {
  Controller,
  DefaultValuePipe,
  Get,
  HttpCode,
  Param,
  ParseIntPipe,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../../http/api-errors';
import { AdminUser } from '../../../http/admin/admin-user.decorator';
import { AdminOnly } from '../../../http/admin/admin.guard';
import { OrderView } from '../dto/order.view';
import { StuckOrderView } from '../dto/stuck-order.view';
import { OrderQueries } from '../order-queries';
import { PaymentRedrive } from './payment-redrive';
import { StuckOrders } from './stuck-orders';

/** What admins see of orders whose payment result did not come back in time. */
@ApiTags('admin')
@AdminOnly()
@Controller('admin')
export class StuckOrdersController {
  constructor(
    private readonly queries: OrderQueries,
    private readonly stuckOrders: StuckOrders,
    private readonly redrive: PaymentRedrive,
  ) {}

  @Get('stuck-orders')
  @ApiOperation({
    summary:
      'Orders with no payment result inside their window, flagged ones first: each lost or late.',
    description:
      'Each says where its payment stands (standing; an async order: its message in Kafka ' +
      "against the workers' committed offset, and the records ahead of it) and the verdict " +
      'drawn: a late order is on its way and left alone; a lost one is re-driven up to ' +
      'REDRIVE_LIMIT times, then flagged (needsAttentionAt) and waits for a human.',
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'How many to list; outside 1-1000 it is taken as the nearest bound.',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  })
  @ApiOkResponse({ type: [StuckOrderView] })
  @ApiErrors(400)
  stuck(
    @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number,
  ): Promise<StuckOrderView[]> {
    return this.stuckOrders.list(Math.min(Math.max(limit, 1), 1000));
  }

  @Post('orders/:id/redrive')
  @HttpCode(202)
  @ApiOperation({
    summary: "Ask for an order's payment again now (safe: every step is idempotent).",
  })
  @ApiResponse({ status: 202, type: OrderView, description: 'Payment asked for again.' })
  @ApiErrors(400, { 404: 'No such order.', 409: 'The order is not waiting for its payment.' })
  async redriveOne(
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @AdminUser() by: string,
  ): Promise<OrderView> {
    await this.redrive.redriveOne(id, by);
    return this.queries.viewAny(id);
  }
}
