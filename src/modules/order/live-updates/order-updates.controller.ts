import { Body, Controller, HttpCode, HttpStatus, Post, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { FastifyReply } from 'fastify';
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

/** The most updates one callback carries: a shared transaction's worth, well under BODY_LIMIT. */
export const MAX_ORDER_UPDATES_PER_CALL = 100;

/**
 * A field of one of the body's two forms: checked when it is given, and required when the
 * other form's field is not given.
 */
const fieldOfForm = (field: keyof OrderUpdates, otherForm: keyof OrderUpdates) =>
  ValidateIf((body: OrderUpdates) => body[field] !== undefined || body[otherForm] === undefined);

/**
 * A callback's body: `updates`, or one update's `orderId` and `event` as a worker sends them
 * one at a time (an instance of the fleet that does not batch them).
 */
export class OrderUpdates {
  @fieldOfForm('orderId', 'updates') @IsUUID() orderId?: string;

  @fieldOfForm('event', 'updates') @ValidateNested() @Type(() => StreamEvent) event?: StreamEvent;

  @fieldOfForm('updates', 'orderId')
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_UPDATES_PER_CALL)
  @ValidateNested({ each: true })
  @Type(() => OrderUpdate)
  updates?: OrderUpdate[];
}

/** Path of the callback a worker calls on the instance that accepted an order. */
export const ORDER_UPDATES_PATH = '/internal/order-updates';

/** The browsers each update reached here, in the order of the updates, comma-separated. */
export const STREAMS_REACHED_HEADER = 'X-Streams-Reached';

/**
 * Where workers push orders' results back to the instance that accepted them (each order's
 * `replyTo`), which forwards them to the browsers following those orders here.
 */
@ApiExcludeController()
@UseGuards(InternalSecretGuard)
@Controller()
export class OrderUpdatesController {
  constructor(private readonly streams: OrderStreams) {}

  @Post(ORDER_UPDATES_PATH)
  @HttpCode(HttpStatus.NO_CONTENT)
  push(@Body() body: OrderUpdates, @Res({ passthrough: true }) reply: FastifyReply): void {
    const updates = body.updates ?? [{ orderId: body.orderId!, event: body.event! }];
    const reached = updates.map(({ orderId, event }) => this.streams.push(orderId, event));
    void reply.header(STREAMS_REACHED_HEADER, reached.join(','));
  }
}
