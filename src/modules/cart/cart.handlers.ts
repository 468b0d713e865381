import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ContractPipe, Envelope, Inbox, Topics, UnitOfWork } from '../../messaging';
import { PaymentCompleted, paymentCompleted } from '../payment/payment.contracts';
import { CartService } from './cart.service';
import { StockService } from './stock.service';

/** Settles an order's stock once its payment is decided. */
@Controller()
export class CartHandlers {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly inbox: Inbox,
    private readonly stock: StockService,
    private readonly cart: CartService,
  ) {}

  /**
   * Approved: the held units are sold and leave the cart. Otherwise they go back on sale and the
   * cart stays as it was. Either way the cart is free for the shopper's next order.
   */
  @EventPattern(Topics.paymentResult)
  async onPaymentCompleted(
    @Payload(new ContractPipe(paymentCompleted)) message: Envelope<PaymentCompleted>,
  ): Promise<void> {
    const { orderId, userId, outcome } = message.body;
    await this.unitOfWork.run(async ({ manager }) => {
      if (!(await this.inbox.claim(manager, 'cart', message.id))) return;
      if (outcome === 'APPROVED') {
        const sold = await this.stock.commit(manager, orderId);
        await this.cart.removeOrdered(manager, userId, sold);
      } else {
        await this.stock.release(manager, orderId);
      }
      await this.cart.letGo(manager, orderId);
    });
  }
}
