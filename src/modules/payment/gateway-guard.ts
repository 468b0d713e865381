import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
} from 'cockatiel';
import { Gauge } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { GatewayPace } from '../../messaging/kafka/gateway-pace';
import { Metrics } from '../../runtime/metrics/metric-names';
import {
  Authorization,
  AuthorizationRequest,
  GatewayCircuitOpenError,
  GatewayOverloadedError,
  GatewayTimeoutError,
  PaymentGateway,
  TransientGatewayError,
} from './payment-gateway';

export type CircuitStatus = 'closed' | 'half-open' | 'open';

/** The gauge's value of each state: the higher, the worse. */
const GAUGE: Record<CircuitStatus, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Every call to the gateway goes through here: under GATEWAY_TIMEOUT_MS, and through a circuit
 * breaker. GATEWAY_CIRCUIT_FAILURES transient failures in a row (timeouts included) open the
 * circuit: calls then fail at once with GatewayCircuitOpenError instead of adding load to a
 * gateway that is down, until GATEWAY_CIRCUIT_HALF_OPEN_MS has passed and one call probes it
 * (half-open; calls arriving meanwhile wait for its verdict). A success closes the circuit, a
 * failure opens it again. A decline is an answer, and counts as a success. While the circuit is
 * not closed, async payments go one at a time (see GatewayPace), and workers stop fetching them.
 */
@Injectable()
export class GatewayGuard {
  private readonly breaker: CircuitBreakerPolicy;
  private openedAt = 0;

  constructor(
    private readonly gateway: PaymentGateway,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @InjectMetric(Metrics.gatewayCircuitState) gauge?: Gauge,
    @Optional() pace?: GatewayPace,
  ) {
    const { failures, halfOpenAfterMs } = config.gateway.circuit;
    // An overloaded gateway is alive: the limit and the bulkhead slow down for it. Opening the
    // circuit on it would stop every payment for a pause, as the benchmark showed.
    const down = (error: unknown) =>
      error instanceof TransientGatewayError && !(error instanceof GatewayOverloadedError);
    this.breaker = circuitBreaker(handleWhen(down), {
      halfOpenAfter: halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(failures),
    });
    this.breaker.onBreak(() => (this.openedAt = Date.now()));
    gauge?.set(GAUGE.closed);
    this.breaker.onStateChange(() => {
      gauge?.set(GAUGE[this.state()]);
      pace?.setCircuitClosed(this.state() === 'closed');
    });
  }

  authorize(request: AuthorizationRequest): Promise<Authorization> {
    return this.call(() => this.gateway.authorize(request));
  }

  void(idempotencyKey: string): Promise<void> {
    return this.call(() => this.gateway.void(idempotencyKey));
  }

  /** An open circuit whose pause is over reads open until the next call probes it. */
  state(): CircuitStatus {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'open';
    }
  }

  /** How long calls stay refused: 0 unless the circuit is open and its pause not over. */
  retryAfterMs(): number {
    if (this.breaker.state !== CircuitState.Open) return 0;
    const { halfOpenAfterMs } = this.config.gateway.circuit;
    return Math.max(0, this.openedAt + halfOpenAfterMs - Date.now());
  }

  private async call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.breaker.execute(() => this.withTimeout(call()));
    } catch (error) {
      // The pause may end between the breaker's refusal and this line: never advise 0 ms.
      if (error instanceof BrokenCircuitError) {
        throw new GatewayCircuitOpenError(Math.max(1, this.retryAfterMs()));
      }
      throw error;
    }
  }

  private async withTimeout<T>(call: Promise<T>): Promise<T> {
    const timeoutMs = this.config.gateway.timeoutMs;
    // A plain timer, cleared: aborting a signal at every answer builds a DOMException with its
    // stack, a cost at every payment.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
