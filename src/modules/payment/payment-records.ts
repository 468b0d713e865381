import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { PaymentView } from './dto/payment.view';
import { Payment } from './payment.entity';

/** Reads of recorded payments, for the order's status page. */
@Injectable()
export class PaymentRecords {
  constructor(@InjectRepository(Payment) private readonly payments: Repository<Payment>) {}

  /** The order's latest payment attempt, or null while none is recorded. */
  async latestFor(orderId: string): Promise<PaymentView | null> {
    const payment = await this.payments.findOne({ where: { orderId }, order: { attempt: 'DESC' } });
    if (!payment) return null;
    const { id, attempt, status, amountCents, currency, gatewayReference, reasons, createdAt } =
      payment;
    return { id, attempt, status, amountCents, currency, gatewayReference, reasons, createdAt };
  }
}
