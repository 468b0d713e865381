import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Gauge } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { GatewayKnobs } from '../../gateway-simulator/gateway-knobs';
import {
  GatewayLedger,
  GatewaySimulation,
  GatewayUnavailableError,
} from '../../gateway-simulator/gateway-simulation';
import { Metrics } from '../../runtime/metrics/metric-names';
import {
  Authorization,
  AuthorizationRequest,
  PaymentGateway,
  GatewayOverloadedError,
  TransientGatewayError,
} from './payment-gateway';

export type { GatewayKnobs, GatewayLedger };

/**
 * The gateway simulator run inside this process: the default when no GATEWAY_URL is set. It is
 * the same simulation as the simulator's HTTP service, but its ledger is this process's own, so
 * it honours an idempotency key only within one process: a fleet shares the service instead.
 * A lost answer is one that never comes (the caller's timeout ends the wait).
 */
@Injectable()
export class SimulatedPaymentGateway extends PaymentGateway {
  private readonly simulation: GatewaySimulation;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional()
    @InjectMetric(Metrics.simulatorCharges)
    chargesGauge?: Gauge,
  ) {
    super();
    const { latencyMs, capacity, transientFailureRate, declineAboveCents, lostResponseRate } =
      config.gateway;
    this.simulation = new GatewaySimulation(
      { latencyMs, capacity, transientFailureRate, declineAboveCents, lostResponseRate },
      { onChargesChanged: (charges) => chargesGauge?.set(charges) },
    );
  }

  /** Changes how the gateway behaves from the next call on: a slowdown, an outage, a fix. */
  tune(knobs: Partial<GatewayKnobs>): void {
    this.simulation.tune(knobs);
  }

  async authorize(request: AuthorizationRequest): Promise<Authorization> {
    try {
      const { answer, lost } = await this.simulation.authorize(request);
      return lost ? new Promise<never>(() => undefined) : answer;
    } catch (error) {
      if (error instanceof GatewayUnavailableError) {
        throw error.reason === 'overloaded'
          ? new GatewayOverloadedError(error.message)
          : new TransientGatewayError(error.message);
      }
      throw error;
    }
  }

  void(idempotencyKey: string): Promise<void> {
    this.simulation.void(idempotencyKey);
    return Promise.resolve();
  }

  ledger(): GatewayLedger {
    return this.simulation.ledger();
  }
}
