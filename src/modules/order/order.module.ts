import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AcceptLatencyMiddleware } from '../../runtime/metrics/accept-latency.middleware';
import { CartModule } from '../cart';
import { PaymentModule } from '../payment';
import { OrderQueries } from './order-queries';
import { OrderStreams } from './live-updates/order-streams';
import { StreamLimits } from './live-updates/stream-limits';
import { OrderTimeline } from './order-timeline';
import { OrderUpdatesChannel } from './live-updates/order-updates-channel';
import { OrderUpdatesController } from './live-updates/order-updates.controller';
import { OrderController } from './order.controller';
import { Order } from './order.entity';
import { OrderLine } from './order-line.entity';
import { PaymentRetry } from './payment-retry.entity';
import { TimelineEntry } from './timeline-entry.entity';
import { OrderHandlers } from './order.handlers';
import { CutOffPayments } from './payment-watch/cut-off-payments';
import { PaymentBacklog } from './payment-watch/payment-backlog';
import { PaymentRedrive } from './payment-watch/payment-redrive';
import { PaymentRequests } from './checkout/payment-requests';
import { PaymentWatchdog } from './payment-watch/payment-watchdog';
import { SettledHolds } from './payment-watch/settled-holds';
import { StuckOrders } from './payment-watch/stuck-orders';
import { PlaceOrderService } from './checkout/place-order.service';
import { PaymentAcceptance } from './checkout/payment-acceptance';
import { RetryPaymentService } from './checkout/retry-payment.service';
import { SyncCheckoutGate } from './checkout/sync-checkout-gate';
import { StuckOrdersController } from './payment-watch/stuck-orders.controller';

/**
 * Orders: placement from the cart, payment retries, the state machine, status and timeline,
 * live streams, and the watchdog that re-drives payments whose result never came.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Order, OrderLine, TimelineEntry, PaymentRetry]),
    CartModule,
    PaymentModule,
  ],
  controllers: [OrderController, OrderHandlers, OrderUpdatesController, StuckOrdersController],
  providers: [
    PlaceOrderService,
    RetryPaymentService,
    PaymentAcceptance,
    SyncCheckoutGate,
    OrderQueries,
    OrderTimeline,
    OrderStreams,
    StreamLimits,
    OrderUpdatesChannel,
    PaymentRequests,
    PaymentRedrive,
    PaymentWatchdog,
    SettledHolds,
    CutOffPayments,
    StuckOrders,
    PaymentBacklog,
  ],
  exports: [OrderStreams, PaymentBacklog],
})
export class OrderModule implements NestModule {
  /** The order's acceptance is timed on the two routes that accept a payment. */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(AcceptLatencyMiddleware)
      .forRoutes(
        { path: 'orders', method: RequestMethod.POST },
        { path: 'orders/:id/payment-retries', method: RequestMethod.POST },
      );
  }
}
