import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { ContractPipe, Envelope, handlersOf, Inbox, Topics, UnitOfWork } from '../../messaging';
import { Metrics } from '../../runtime/metrics/metric-names';
import { PaymentCompleted, paymentCompleted } from '../payment/payment.contracts';
import { resultEventOf } from './live-updates/order-result';
import { eventOf, OrderStatus, transition } from './order-state';
import { OrderTimeline } from './order-timeline';
import { OrderUpdatesChannel } from './live-updates/order-updates-channel';

/**
 * Keeps the order's status and timeline (its read model) from payment results, and announces
 * each result to the streams following the order on every API instance.
 */
@Controller()
export class OrderHandlers {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly inbox: Inbox,
    private readonly timeline: OrderTimeline,
    private readonly updates: OrderUpdatesChannel,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.ordersSettled) private readonly settled: Counter<'status'>,
  ) {
    this.logger.setContext(OrderHandlers.name);
  }

  @EventPattern(Topics.paymentResult)
  async onPaymentCompleted(
    @Payload(new ContractPipe(paymentCompleted)) message: Envelope<PaymentCompleted>,
  ): Promise<void> {
    const { orderId, attempt, outcome, paymentId, reasons } = message.body;
    const settledAs = await this.unitOfWork.runInGroup(handlersOf(message), async ({ manager }) => {
      if (!(await this.inbox.claim(manager, 'order', message.id))) return null;
      // Every order's result comes here: a plain statement, not a find the ORM builds each time.
      const [order] = await manager.query<{ status: OrderStatus; payment_attempt: number }[]>(
        `SELECT status, payment_attempt FROM orders WHERE id = $1 FOR UPDATE`,
        [orderId],
      );
      if (!order) {
        this.logger.warn({ orderId, messageId: message.id }, 'payment result for an unknown order');
        return null;
      }
      if (attempt !== order.payment_attempt) {
        this.logger.warn(
          { orderId, attempt, current: order.payment_attempt, outcome },
          'payment result of another attempt: ignored',
        );
        return null;
      }
      const step = transition(order.status, eventOf(outcome));
      if (step.kind !== 'moved') {
        this.logger.warn({ orderId, outcome, status: order.status }, `payment result ${step.kind}`);
        return null;
      }
      await this.timeline.recordResult(
        manager,
        orderId,
        {
          status: step.to,
          paymentId,
          failureReason: step.to === 'PAID' ? null : reasons.join('; ') || outcome,
        },
        { outcome, paymentId, reasons, attempt },
      );
      await this.updates.announce(manager, orderId, resultEventOf(message.body));
      this.logger.info({ orderId, status: step.to }, 'order settled');
      return step.to;
    });
    if (settledAs) this.settled.inc({ status: settledAs });
  }
}
