import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ContractPipe, Envelope, handlersOf, Inbox, Topics, UnitOfWork } from '../../messaging';
import { PaymentCompleted, paymentCompleted } from '../payment/payment.contracts';
import { CartSettlement } from './cart-settlement';

/** Settles an order's stock and cart once its payment is decided. */
@Controller()
export class CartHandlers {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly inbox: Inbox,
    private readonly settlement: CartSettlement,
  ) {}

  @EventPattern(Topics.paymentResult)
  async onPaymentCompleted(
    @Payload(new ContractPipe(paymentCompleted)) message: Envelope<PaymentCompleted>,
  ): Promise<void> {
    const { orderId, userId, outcome } = message.body;
    await this.unitOfWork.runInGroup(handlersOf(message), async ({ manager }) => {
      if (!(await this.inbox.claim(manager, 'cart', message.id))) return;
      await this.settlement.settle(manager, { orderId, userId, approved: outcome === 'APPROVED' });
    });
  }
}
