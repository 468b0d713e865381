import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Gauge } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Metrics } from '../../ops/metrics/metric-names';
import {
  Authorization,
  AuthorizationRequest,
  PaymentGateway,
  TransientGatewayError,
} from './payment-gateway';

/** Source of the simulator's chance of transient failure; tests provide their own. */
export const GATEWAY_RANDOM = Symbol('GATEWAY_RANDOM');

/** The simulator's traits, as its operator (or a test playing one) may change them live. */
export type GatewayKnobs = Pick<
  AppConfig['gateway'],
  'latencyMs' | 'capacity' | 'transientFailureRate' | 'declineAboveCents'
>;

/** What the simulated gateway has seen, as its operator's dashboard would show it. */
export interface GatewayLedger {
  inFlight: number;
  peakInFlight: number;
  calls: number;
  /** Approved, unvoided authorizations per key; a double charge shows as a count of 2. */
  charges: ReadonlyMap<string, number>;
}

/**
 * A payment gateway with the traits that matter at peak: a latency, a capacity of concurrent
 * authorizations (past it, each call slows in proportion; past twice it, calls fail as
 * overloaded), a decline rule and a rate of transient failures. Test tokens:
 * `tok_decline…` is declined, `tok_unavailable…` always fails transiently.
 */
@Injectable()
export class SimulatedPaymentGateway extends PaymentGateway {
  private inFlight = 0;
  private peakInFlight = 0;
  private calls = 0;
  private readonly settled = new Map<string, Promise<Authorization>>();
  private readonly charges = new Map<string, number>();
  private readonly voided = new Set<string>();
  private knobs: GatewayKnobs;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(GATEWAY_RANDOM) private readonly random: () => number = Math.random,
    @Optional()
    @InjectMetric(Metrics.simulatorCharges)
    private readonly chargesGauge?: Gauge,
  ) {
    super();
    const { latencyMs, capacity, transientFailureRate, declineAboveCents } = config.gateway;
    this.knobs = { latencyMs, capacity, transientFailureRate, declineAboveCents };
  }

  /** Changes how the gateway behaves from the next call on: a slowdown, an outage, a fix. */
  tune(knobs: Partial<GatewayKnobs>): void {
    this.knobs = { ...this.knobs, ...knobs };
  }

  authorize(request: AuthorizationRequest): Promise<Authorization> {
    if (this.voided.has(request.idempotencyKey)) {
      return Promise.resolve({ status: 'DECLINED', reason: 'voided' });
    }
    const earlier = this.settled.get(request.idempotencyKey);
    if (earlier) return earlier;
    const answer = this.decide(request);
    this.settled.set(request.idempotencyKey, answer);
    answer.catch(() => this.settled.delete(request.idempotencyKey));
    return answer;
  }

  void(idempotencyKey: string): Promise<void> {
    this.voided.add(idempotencyKey);
    this.chargesGauge?.dec(this.charges.get(idempotencyKey) ?? 0);
    this.charges.delete(idempotencyKey);
    return Promise.resolve();
  }

  ledger(): GatewayLedger {
    return {
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      calls: this.calls,
      charges: new Map(this.charges),
    };
  }

  private async decide(request: AuthorizationRequest): Promise<Authorization> {
    const { latencyMs, capacity, transientFailureRate, declineAboveCents } = this.knobs;
    this.calls += 1;
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      const load = this.inFlight / capacity;
      await sleep(latencyMs * Math.max(1, load));
      if (load > 2) throw new TransientGatewayError('gateway overloaded');
      if (request.paymentToken.startsWith('tok_unavailable')) {
        throw new TransientGatewayError('gateway unavailable');
      }
      if (this.random() < transientFailureRate) {
        throw new TransientGatewayError('gateway unavailable');
      }
      if (request.paymentToken.startsWith('tok_decline')) {
        return { status: 'DECLINED', reason: 'card_declined' };
      }
      if (request.amountCents > declineAboveCents) {
        return { status: 'DECLINED', reason: 'amount_over_limit' };
      }
      if (this.voided.has(request.idempotencyKey)) return { status: 'DECLINED', reason: 'voided' };
      this.charges.set(request.idempotencyKey, (this.charges.get(request.idempotencyKey) ?? 0) + 1);
      this.chargesGauge?.inc();
      return { status: 'APPROVED', reference: `sim_${randomUUID()}` };
    } finally {
      this.inFlight -= 1;
    }
  }
}
