import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ContractPipe, Envelope, handlersOf, Topics } from '../../messaging';
import { PaymentCompleted, paymentCompleted } from '../payment/payment.contracts';
import { NotificationService } from './notification.service';
import { paymentResultNotice } from './payment-result-notice';

@Controller()
export class NotificationHandlers {
  constructor(private readonly notifications: NotificationService) {}

  @EventPattern(Topics.paymentResult)
  async onPaymentCompleted(
    @Payload(new ContractPipe(paymentCompleted)) message: Envelope<PaymentCompleted>,
  ): Promise<void> {
    await this.notifications.notify(paymentResultNotice(message.body), handlersOf(message));
  }
}
