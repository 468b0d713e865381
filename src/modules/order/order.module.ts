import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CartModule } from '../cart';
import { PaymentModule } from '../payment';
import { OrderQueries } from './order-queries.service';
import { OrderStreams } from './order-streams';
import { StreamLimits } from './stream-limits';
import { OrderTimeline } from './order-timeline';
import { OrderUpdatesChannel } from './order-updates-channel';
import { OrderUpdatesController } from './order-updates.controller';
import { OrderController } from './order.controller';
import { Order, OrderLine, PaymentRetry, TimelineEntry } from './order.entities';
import { OrderHandlers } from './order.handlers';
import { CutOffPayments } from './payment-watch/cut-off-payments';
import { PaymentBacklog } from './payment-watch/payment-backlog';
import { PaymentRedrive } from './payment-watch/payment-redrive.service';
import { PaymentRequests } from './payment-request';
import { PaymentWatchdog } from './payment-watch/payment-watchdog';
import { SettledHolds } from './payment-watch/settled-holds';
import { StuckOrders } from './payment-watch/stuck-orders';
import { PlaceOrderService } from './place-order.service';
import { PaymentAcceptance } from './payment-acceptance';
import { RetryPaymentService } from './retry-payment.service';
import { SyncCheckoutGate } from './sync-checkout-gate';
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
export class OrderModule {}
