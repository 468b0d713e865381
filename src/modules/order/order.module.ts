import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CartModule } from '../cart';
import { PaymentModule } from '../payment';
import { OrderQueries } from './order-queries.service';
import { OrderStreams } from './order-streams';
import { OrderTimeline } from './order-timeline';
import { OrderUpdatesController } from './order-updates.controller';
import { OrderController } from './order.controller';
import { Order, OrderLine, TimelineEntry } from './order.entities';
import { OrderHandlers } from './order.handlers';
import { PlaceOrderService } from './place-order.service';

/** Orders: placement from the cart, the state machine, status and timeline, live streams. */
@Module({
  imports: [TypeOrmModule.forFeature([Order, OrderLine, TimelineEntry]), CartModule, PaymentModule],
  controllers: [OrderController, OrderHandlers, OrderUpdatesController],
  providers: [PlaceOrderService, OrderQueries, OrderTimeline, OrderStreams],
  exports: [OrderStreams],
})
export class OrderModule {}
