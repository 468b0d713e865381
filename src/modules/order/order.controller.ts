import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Inject,
  MessageEvent,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
  Sse,
  SseSignal,
} from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { recordOrderAnswer } from '../../runtime/order-answer';
import {
  concat,
  EMPTY,
  interval,
  map,
  merge,
  Observable,
  of,
  ReplaySubject,
  takeUntil,
  timer,
} from 'rxjs';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { ApiErrors } from '../../http/api-errors';
import { ApiShopper, ShopperId } from '../../http/shopper-id.decorator';
import { ORDER_EVENTS } from './dto/order-event.view';
import { OrderView, TimelineEntryView } from './dto/order.view';
import { PlaceOrderRequest } from './dto/place-order.request';
import { RetryPaymentRequest } from './dto/retry-payment.request';
import { ApiIdempotencyKey, IdempotencyKey } from './checkout/idempotency-key.decorator';
import { OrderQueries } from './order-queries';
import { isFinal } from './order-state';
import { OrderStreams } from './live-updates/order-streams';
import { PlacedOrder, PlaceOrderService } from './checkout/place-order.service';
import { RetryPaymentService } from './checkout/retry-payment.service';
import { StreamLimits } from './live-updates/stream-limits';

const uuid = new ParseUUIDPipe({ version: '4' });

const NO_SUCH_ORDER = 'No such order for this shopper.';
const PAUSED =
  'Sync mode turned the checkout away before anything was written: payments are paused while ' +
  'the payment gateway fails, or every payment slot stayed busy. Retry after Retry-After.';

@ApiTags('orders')
@ApiShopper()
@Controller('orders')
export class OrderController {
  constructor(
    private readonly placing: PlaceOrderService,
    private readonly retrying: RetryPaymentService,
    private readonly queries: OrderQueries,
    private readonly streams: OrderStreams,
    private readonly streamLimits: StreamLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @ApiOperation({
    summary: "Place an order from the shopper's cart.",
    description:
      'Sync mode answers 201 when the order is final: PAID, PAYMENT_FAILED or FRAUD_REJECTED. ' +
      'Async mode answers 202 at once with the order PENDING_PAYMENT: follow it at ' +
      'links.events (SSE) or links.self; the result is pushed there when the payment is done. ' +
      'The same Idempotency-Key returns the same order (200, Idempotent-Replayed: true) and ' +
      'never charges twice; a different body under a used key is a 422. The order holds the ' +
      'cart until its payment is decided: another order meanwhile, under any key, is a 409.',
  })
  @ApiIdempotencyKey('Unique per order; reuse it to retry.')
  @ApiResponse({ status: 201, type: OrderView, description: 'Order placed; its final state.' })
  @ApiResponse({ status: 202, type: OrderView, description: 'Order accepted; payment under way.' })
  @ApiResponse({ status: 200, type: OrderView, description: 'Replay of an earlier request.' })
  @ApiErrors(400, 413, 415, 503, {
    409:
      'Not enough stock for a product in the cart, or another order from the cart is under ' +
      'way (OrderUnderWay, details.orderId names it).',
    422: 'Empty cart, a cart mixing currencies, or the key was used for another request.',
    503: PAUSED,
  })
  async place(
    @ShopperId() userId: string,
    @IdempotencyKey() key: string,
    @Body() request: PlaceOrderRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    return this.answer(await this.placing.place(userId, key, request), reply);
  }

  @Post(':id/payment-retries')
  @ApiOperation({
    summary: 'Retry the payment of a PAYMENT_FAILED order, with the same card or another.',
    description:
      "The order's units are held again and a new payment attempt runs in the mode in force: " +
      'sync answers 201 with the final order, async 202 with the order PENDING_PAYMENT. The ' +
      'same Idempotency-Key returns the same attempt (200, Idempotent-Replayed: true); it ' +
      'never charges twice.',
  })
  @ApiIdempotencyKey('Unique per retry; reuse it to repeat this retry.')
  @ApiResponse({ status: 201, type: OrderView, description: 'Retried; the final order.' })
  @ApiResponse({ status: 202, type: OrderView, description: 'Retry accepted; payment under way.' })
  @ApiResponse({ status: 200, type: OrderView, description: 'Replay of an earlier retry.' })
  @ApiErrors(400, 413, 415, 503, {
    404: NO_SUCH_ORDER,
    409:
      'Not PAYMENT_FAILED, its failed payment still being settled, its stock sold out since, ' +
      'or another order from the cart is under way.',
    422: 'The key was used for another retry of this order.',
    503: PAUSED,
  })
  async retryPayment(
    @ShopperId() userId: string,
    @Param('id', uuid) id: string,
    @IdempotencyKey() key: string,
    @Body() request: RetryPaymentRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    return this.answer(await this.retrying.retry(userId, id, key, request), reply);
  }

  private answer({ order, replayed }: PlacedOrder, reply: FastifyReply): OrderView {
    recordOrderAnswer(reply, { orderId: order.id, checkoutMode: order.mode });
    void reply
      .code(
        replayed ? HttpStatus.OK : isFinal(order.status) ? HttpStatus.CREATED : HttpStatus.ACCEPTED,
      )
      .header('Location', order.links.self);
    if (replayed) void reply.header('Idempotent-Replayed', 'true');
    return order;
  }

  @Get(':id')
  @ApiOperation({ summary: 'The order with its lines, status and payment.' })
  @ApiOkResponse({ type: OrderView })
  @ApiErrors(400, { 404: NO_SUCH_ORDER })
  view(@ShopperId() userId: string, @Param('id', uuid) id: string): Promise<OrderView> {
    return this.queries.view(userId, id);
  }

  @Get(':id/timeline')
  @ApiOperation({ summary: "The order's history, oldest first." })
  @ApiOkResponse({ type: [TimelineEntryView] })
  @ApiErrors(400, { 404: NO_SUCH_ORDER })
  timeline(
    @ShopperId() userId: string,
    @Param('id', uuid) id: string,
  ): Promise<TimelineEntryView[]> {
    return this.queries.timeline(userId, id);
  }

  @Sse(':id/events')
  @ApiOperation({
    summary: 'Follow the order live (Server-Sent Events).',
    description:
      'First a `status` event with the order as it is now (carrying the `retry:` delay to ' +
      'reconnect after), then each update as it happens (`result` when the payment is decided), ' +
      'and a `heartbeat` event to keep proxies open. A stream ends after SSE_MAX_LIFETIME_MS; ' +
      'EventSource then reconnects by itself and gets the current `status` again. A shopper ' +
      'keeps at most SSE_MAX_STREAMS_PER_SHOPPER streams open per instance, and an instance ' +
      'SSE_MAX_STREAMS: past either, 429 with Retry-After.',
  })
  @ApiProduces('text/event-stream')
  @ApiExtraModels(...Object.values(ORDER_EVENTS))
  @ApiResponse({
    status: 200,
    description:
      'The stream: each event an `event:` line with its name and a `data:` line with its JSON ' +
      '(one of the schemas here, told apart by `event`), with `id:` and `retry:` lines when ' +
      'it has them.',
    content: {
      'text/event-stream': {
        schema: {
          oneOf: Object.values(ORDER_EVENTS).map((event) => ({ $ref: getSchemaPath(event) })),
          discriminator: {
            propertyName: 'event',
            mapping: Object.fromEntries(
              Object.entries(ORDER_EVENTS).map(([name, event]) => [name, getSchemaPath(event)]),
            ),
          },
        },
      },
    },
  })
  @ApiErrors(400, {
    404: NO_SUCH_ORDER,
    429: 'Too many streams open (details.limit says which); try again after Retry-After.',
  })
  async events(
    @ShopperId() userId: string,
    @Param('id', uuid) id: string,
    @SseSignal() closed: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    const { heartbeatMs, maxLifetimeMs, retryMs } = this.config.sse;
    const end = this.streamLimits.admit(userId);
    // Follow before reading, so an update landing between the read and the follow is kept.
    const updates = new ReplaySubject<MessageEvent>();
    const following = this.streams.updatesOf(id).subscribe(updates);
    // Once, whichever way the stream ends: a client gone while the order was read never
    // subscribes to what is returned, and would otherwise keep its place for ever.
    const release = () => {
      following.unsubscribe();
      end();
    };
    closed.addEventListener('abort', release, { once: true });
    try {
      const order = await this.queries.view(userId, id);
      if (closed.aborted) return EMPTY;
      const heartbeat = interval(heartbeatMs).pipe(
        map((): MessageEvent => ({ type: 'heartbeat', data: { at: new Date().toISOString() } })),
      );
      return new Observable<MessageEvent>((subscriber) => {
        const subscription = merge(
          concat(of({ type: 'status', data: order, retry: retryMs }), updates),
          heartbeat,
        )
          .pipe(takeUntil(timer(maxLifetimeMs)))
          .subscribe(subscriber);
        return () => {
          subscription.unsubscribe();
          release();
        };
      });
    } catch (error) {
      release();
      throw error;
    }
  }
}
