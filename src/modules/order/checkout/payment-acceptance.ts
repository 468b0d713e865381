import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { DeliveryFailedError, TransactionContext, UnitOfWork } from '../../../messaging';
import { CheckoutModeService } from '../../../fleet/mode/checkout-mode.service';
import { CheckoutMode } from '../../../fleet/mode/checkout-mode';
import { OrderLine } from '../order-line.entity';
import { PayableOrder, PaymentRequests } from './payment-requests';
import { CutOffPayments } from '../payment-watch/cut-off-payments';
import { SyncCheckoutGate } from './sync-checkout-gate';

/** A unit of work that accepts an order's payment: it asks for the payment in its mode. */
export interface AcceptingTransaction extends TransactionContext {
  readonly mode: CheckoutMode;
  requestPayment(
    order: PayableOrder,
    lines: Pick<OrderLine, 'sku' | 'unitPriceCents' | 'quantity'>[],
  ): void;
}

export interface Acceptance<T> {
  mode: CheckoutMode;
  /** What the work returned; null when it committed but its sync payment did not complete. */
  accepted: T | null;
}

/**
 * The one way an order's payment is accepted, whether the order is placed, its payment retried
 * or its sync payment asked again: in the mode in force (or the one given), the work and its
 * payment request commit together; a sync checkout passes the gate first (circuit, bulkhead)
 * and runs the payment before returning. A sync payment that did not complete after the commit
 * is noted for the watchdog, which settles it, and the work stands.
 */
@Injectable()
export class PaymentAcceptance {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly modes: CheckoutModeService,
    private readonly syncCheckouts: SyncCheckoutGate,
    private readonly paymentRequests: PaymentRequests,
    private readonly cutOff: CutOffPayments,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(PaymentAcceptance.name);
  }

  async accept<T>(
    orderId: string,
    work: (tx: AcceptingTransaction) => Promise<T>,
    mode: CheckoutMode = this.modes.mode(),
  ): Promise<Acceptance<T>> {
    const accepting = () =>
      this.unitOfWork.run((tx) =>
        work({
          ...tx,
          mode,
          requestPayment: (order, lines) => this.paymentRequests.publish(tx, order, lines, mode),
        }),
      );
    try {
      return {
        mode,
        accepted: await (mode === 'sync' ? this.syncCheckouts.run(accepting) : accepting()),
      };
    } catch (error) {
      if (!(error instanceof DeliveryFailedError)) throw error;
      this.cutOff.note(orderId, error.cause);
      this.logger.error(
        { orderId, error: String(error.cause) },
        'payment accepted but it did not complete',
      );
      return { mode, accepted: null };
    }
  }
}
