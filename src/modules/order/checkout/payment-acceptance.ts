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
 * How many shared acceptance transactions run at once. Alone, a unit that arrives while the
 * lane's transaction runs waits out all of it; with a few, an order finds a lane free until the
 * peak, and at the peak each lane's next transaction takes all that arrived meanwhile. Four held
 * more orders per second within the accept bound than none or one (docs/benchmarks).
 */
const ACCEPTANCE_LANES = 4;

/** The order whose payment is accepted, and its shopper. */
export interface OrderOfShopper {
  id: string;
  userId: string;
}

/**
 * The one way an order's payment is accepted, whether the order is placed, its payment retried
 * or its sync payment asked again: in the mode in force (or the one given), the work and its
 * payment request commit together; a sync checkout passes the gate first (circuit, bulkhead)
 * and runs the payment before returning. A sync payment that did not complete after the commit
 * is noted for the watchdog, which settles it, and the work stands.
 *
 * Acceptances that arrive while every lane's transaction runs share the next one
 * (UnitOfWork.runInGroup): at a flash sale's peak every order takes the one product row, and one
 * transaction, one write per round and one COMMIT then serve many orders. Their reservations lock
 * the products in one order (CommitStep.lockOrder), so two lanes never wait on each other in a
 * circle. A shopper's acceptances never share one (their cart, their order's lock); one that
 * fails runs again alone, so its refusal (sold out, a key already used) is its own.
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

  /**
   * `mode`: the one in force unless given. `alone`: for work that locks a product before the
   * commit (a retried payment taking its units off the shelf again), which in a shared
   * transaction could hold one while another lane's commit waits for it, and the other way round.
   */
  async accept<T>(
    { id: orderId, userId }: OrderOfShopper,
    work: (tx: AcceptingTransaction) => Promise<T>,
    { mode = this.modes.mode(), alone = false }: { mode?: CheckoutMode; alone?: boolean } = {},
  ): Promise<Acceptance<T>> {
    const accepting = (tx: TransactionContext) =>
      work({
        ...tx,
        mode,
        requestPayment: (order, lines) => this.paymentRequests.publish(tx, order, lines, mode),
      });
    const accept = () =>
      alone
        ? this.unitOfWork.run(accepting)
        : this.unitOfWork.runInGroup('order acceptances', accepting, {
            key: userId,
            lanes: ACCEPTANCE_LANES,
          });
    try {
      return {
        mode,
        accepted: await (mode === 'sync' ? this.syncCheckouts.run(accept) : accept()),
      };
    } catch (error) {
      if (!(error instanceof DeliveryFailedError)) {
        // The database went away with the COMMIT's answer on its way: the order may stand,
        // and no sync payment runs for it. Noted, it is due once the database answers again.
        if (mode === 'sync') this.cutOff.note(orderId, error);
        throw error;
      }
      this.cutOff.note(orderId, error.cause);
      this.logger.error(
        { orderId, error: String(error.cause) },
        'payment accepted but it did not complete',
      );
      return { mode, accepted: null };
    }
  }
}
