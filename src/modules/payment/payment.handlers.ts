import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ContractPipe, Envelope, Topics } from '../../messaging';
import { PaymentRequested, paymentRequested } from './payment.contracts';
import { PaymentService } from './payment.service';

@Controller()
export class PaymentHandlers {
  constructor(private readonly payments: PaymentService) {}

  @EventPattern(Topics.paymentOrder)
  async onPaymentRequested(
    @Payload(new ContractPipe(paymentRequested)) message: Envelope<PaymentRequested>,
  ): Promise<void> {
    await this.payments.settle(message.body);
  }
}
