import { Body, Controller, HttpCode, HttpStatus, Post, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, IsUUID, ValidateNested } from 'class-validator';
import { Response } from 'express';
import { InternalSecretGuard } from '../../../http/internal-secret.guard';
import { OrderStreams } from './order-streams';

class StreamEvent {
  @IsOptional() @IsString() id?: string;
  @IsString() type!: string;
  @IsObject() data!: Record<string, unknown>;
}

export class OrderUpdate {
  @IsUUID() orderId!: string;
  @ValidateNested() @Type(() => StreamEvent) event!: StreamEvent;
}

/** Path of the callback a worker calls on the instance that accepted an order. */
export const ORDER_UPDATES_PATH = '/internal/order-updates';

/**
 * Where workers push an order's result back to the instance that accepted it (the order's
 * `replyTo`), which forwards it to the browsers following the order here.
 */
@ApiExcludeController()
@UseGuards(InternalSecretGuard)
@Controller()
export class OrderUpdatesController {
  constructor(private readonly streams: OrderStreams) {}

  @Post(ORDER_UPDATES_PATH)
  @HttpCode(HttpStatus.NO_CONTENT)
  push(@Body() update: OrderUpdate, @Res({ passthrough: true }) response: Response): void {
    const reached = this.streams.push(update.orderId, update.event);
    response.setHeader('X-Streams-Reached', String(reached));
  }
}
