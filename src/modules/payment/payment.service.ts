import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Histogram } from 'prom-client';
import { inSpan } from '../../runtime/tracing/in-span';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { UnitOfWork } from '../../messaging';
import { Metrics } from '../../runtime/metrics/metric-names';
import { GatewayPace } from '../../messaging/kafka/gateway-pace';
import { CheckoutLoadMeter } from '../../fleet/mode/checkout-load-meter';
import { FraudCheckService } from '../fraud-check';
import { GatewayGuard } from './gateway-guard';
import {
  Authorization,
  GatewayCircuitOpenError,
  TransientGatewayError,
  UnansweredGatewayError,
} from './payment-gateway';
import {
  PaymentCompleted,
  paymentCompleted,
  PaymentOutcome,
  PaymentRequested,
} from './payment.contracts';
import { Payment } from './payment.entity';
import { recordedPayment, recordPayment } from './payment-rows';
import { boundedRetries, patientRetries, paysPatiently } from './retry-plan';

interface Decision {
  outcome: PaymentOutcome;
  reference: string | null;
  gatewayCalls: number;
  reasons: string[];
}

/** The gateway's key of a payment attempt: the order id, with the attempt past the first. */
function idempotencyKeyOf({ orderId, attempt }: PaymentRequested): string {
  return attempt === 1 ? orderId : `${orderId}/${attempt}`;
}

/** How long an open circuit keeps calls refused; 0 for any other error. */
function circuitPauseOf(error: unknown): number {
  return error instanceof GatewayCircuitOpenError ? error.retryAfterMs : 0;
}

/** Takes a payment request to its result: fraud check, authorization, record, publish. */
@Injectable()
export class PaymentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly fraudCheck: FraudCheckService,
    private readonly gateway: GatewayGuard,
    private readonly load: CheckoutLoadMeter,
    private readonly pace: GatewayPace,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.gatewaySeconds) private readonly gatewaySeconds: Histogram<'result'>,
  ) {
    this.logger.setContext(PaymentService.name);
  }

  /**
   * Settles one payment attempt of an order and publishes `payment.result`. Safe to run twice
   * for the same attempt: a recorded payment is published again (under its own id, so
   * consumers drop the copy), and the gateway is asked with the same idempotency key.
   */
  async settle(request: PaymentRequested): Promise<void> {
    const { orderId, attempt } = request;
    const fraud = await this.fraudCheck.check(request);
    // A payment is recorded after its order's fraud decision has committed: an order decided
    // just now has none, and the read is saved for every first delivery.
    const recorded = fraud.decidedBefore
      ? await recordedPayment(this.dataSource.manager, orderId, attempt)
      : null;
    if (recorded) {
      this.logger.info(
        { orderId, attempt },
        'payment already recorded; publishing its result again',
      );
      return this.publish(request, recorded);
    }

    const decision: Decision =
      fraud.verdict === 'REJECT'
        ? { outcome: 'FRAUD_REJECTED', reference: null, gatewayCalls: 0, reasons: fraud.reasons }
        : await this.authorize(request, fraud.reasons);

    const payment = await this.unitOfWork.runInGroup(
      'payment records',
      async ({ manager, publish }) => {
        const values = {
          id: randomUUID(),
          orderId,
          attempt,
          status: decision.outcome,
          amountCents: request.amountCents,
          currency: request.currency,
          gatewayReference: decision.reference,
          gatewayCalls: decision.gatewayCalls,
          reasons: decision.reasons,
        };
        const createdAt = await recordPayment(manager, values);
        // Read only when another run of this attempt recorded it first.
        const stored = createdAt
          ? { ...values, createdAt }
          : await recordedPayment(manager, orderId, attempt);
        if (!stored) throw new Error(`payment of ${orderId}, attempt ${attempt}: not recorded`);
        if (decision.outcome === 'APPROVED' && stored.status !== 'APPROVED') {
          // Another run of this attempt recorded it failed first (a sync request replayed while
          // this run's call was under way met an open circuit): the shopper has been told they
          // were not charged, so this charge must go before the failure is published again.
          this.logger.warn({ orderId, attempt }, 'approved after the payment was recorded failed');
          await this.voidKey(orderId, idempotencyKeyOf(request));
        }
        publish(paymentCompleted, this.resultOf(request, stored), { messageId: stored.id });
        return stored;
      },
    );
    this.logger.info(
      { orderId, attempt, outcome: payment.status, gatewayCalls: payment.gatewayCalls },
      'payment settled',
    );
  }

  private async publish(request: PaymentRequested, payment: Payment): Promise<void> {
    await this.unitOfWork.run(({ publish }) => {
      publish(paymentCompleted, this.resultOf(request, payment), { messageId: payment.id });
      return Promise.resolve();
    });
  }

  private resultOf(request: PaymentRequested, payment: Payment): PaymentCompleted {
    return {
      orderId: request.orderId,
      userId: request.userId,
      attempt: request.attempt,
      outcome: payment.status,
      paymentId: payment.id,
      amountCents: payment.amountCents,
      currency: payment.currency,
      reasons: payment.reasons,
      replyTo: request.replyTo,
      completedAt: payment.createdAt.toISOString(),
    };
  }

  /**
   * Asks the gateway, retrying transient failures: in sync mode a bounded number of times, in
   * async mode until its patience runs out (see retry-plan), each call of an async payment
   * waiting its turn under the adaptive limit and teaching it. No transaction is held
   * meanwhile. The key is the order id (with the attempt past the first), so a retry after a
   * lost answer cannot charge twice: the gateway answers it with the answer that was lost, and
   * an approval found that way is a payment like any other.
   */
  private authorize(request: PaymentRequested, reviewReasons: string[]): Promise<Decision> {
    const attributes = { 'order.id': request.orderId, 'payment.attempt': request.attempt };
    return inSpan('authorize payment', { attributes }, async (span) => {
      const decision = await this.askGateway(request, reviewReasons);
      span.setAttributes({
        'payment.outcome': decision.outcome,
        'gateway.calls': decision.gatewayCalls,
      });
      return decision;
    });
  }

  private async askGateway(request: PaymentRequested, reviewReasons: string[]): Promise<Decision> {
    const patient = paysPatiently(request);
    const plan = patient
      ? patientRetries(this.config.payment, request.requestedAt)
      : boundedRetries(this.config.payment);
    const idempotencyKey = idempotencyKeyOf(request);
    let lastError = '';
    let unanswered = false;
    let circuitOpenFor = 0;
    let call = 1;
    for (; ; call++) {
      const paced = patient
        ? await inSpan('wait for gateway pace', {}, () => this.pace.enter())
        : null;
      const timing = this.gatewaySeconds.startTimer();
      const startedAt = Date.now();
      try {
        const answer = await inSpan('gateway call', { attributes: { 'gateway.call': call } }, () =>
          this.gateway.authorize({
            idempotencyKey,
            amountCents: request.amountCents,
            currency: request.currency,
            paymentToken: request.paymentToken,
          }),
        );
        paced?.answered();
        timing({ result: answer.status.toLowerCase() });
        this.load.gatewayCallTook(Date.now() - startedAt);
        return this.decisionOf(answer, call, reviewReasons);
      } catch (error) {
        if (error instanceof GatewayCircuitOpenError) {
          // Nothing reached the gateway: no sample for the limit, no latency; an async payment
          // waits for the probe rather than burning its retries against an open circuit.
          paced?.abandoned();
          lastError = error.message;
          circuitOpenFor = patient ? circuitPauseOf(error) : 0;
        } else {
          timing({ result: 'error' });
          this.load.gatewayCallTook(Date.now() - startedAt);
          if (!(error instanceof TransientGatewayError)) {
            paced?.abandoned();
            throw error;
          }
          paced?.dropped();
          lastError = error.message;
          unanswered ||= error instanceof UnansweredGatewayError;
          this.logger.warn(
            { orderId: request.orderId, call, error: lastError },
            'gateway call failed',
          );
        }
      }
      const wait = plan.waitAfter(call, Date.now());
      if (wait === null) break;
      await sleep(Math.max(wait, circuitOpenFor));
      circuitOpenFor = 0;
    }
    // A call left unanswered may still be authorized at the gateway: void it before the payment
    // is recorded as failed and the shopper is told they were not charged.
    if (unanswered) await this.voidKey(request.orderId, idempotencyKey);
    return {
      outcome: 'ERROR',
      reference: null,
      gatewayCalls: call,
      reasons: [...reviewReasons, `${lastError} after ${call} attempts`],
    };
  }

  /**
   * Voids a key, retrying as an authorization is retried, and waiting out an open circuit.
   * Throws when no void went through: then nothing is recorded, so no payment says "failed"
   * while its charge may stand; the order waits, and its payment is settled again (a shopper's
   * retry, a redelivery, the watchdog), when the same key asked again tells what became of it.
   */
  private async voidKey(orderId: string, idempotencyKey: string): Promise<void> {
    const plan = boundedRetries(this.config.payment);
    for (let call = 1; ; call++) {
      try {
        return await this.gateway.void(idempotencyKey);
      } catch (error) {
        if (!(error instanceof TransientGatewayError)) throw error;
        const wait = plan.waitAfter(call, Date.now());
        if (wait === null) throw error;
        this.logger.warn({ orderId, call, error: error.message }, 'gateway void failed');
        await sleep(Math.max(wait, circuitPauseOf(error)));
      }
    }
  }

  private decisionOf(answer: Authorization, calls: number, reviewReasons: string[]): Decision {
    return answer.status === 'APPROVED'
      ? {
          outcome: 'APPROVED',
          reference: answer.reference,
          gatewayCalls: calls,
          reasons: reviewReasons,
        }
      : {
          outcome: 'DECLINED',
          reference: null,
          gatewayCalls: calls,
          reasons: [...reviewReasons, answer.reason],
        };
  }
}
