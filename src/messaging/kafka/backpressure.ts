import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Gauge } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Permits } from './permits';
import { Topics } from '../topics';
import { Metrics } from '../../runtime/metrics/metric-names';
import {
  RuntimeSettings,
  SettingChange,
  SettingState,
} from '../../fleet/settings/runtime-settings';
import { GatewayPace } from './gateway-pace';

export interface BackpressureState {
  /** The admin's ceiling. */
  maxInFlight: number;
  setBy: string;
  setAt: Date;
  /**
   * The payment permits in force on this instance: the adaptive limit, at most the ceiling; one
   * while the circuit to the gateway is open.
   */
  limitInForce: number;
}

const SETTING = 'max_in_flight';

/**
 * How many payment authorizations each worker may hold at once: the limit the gateway bears,
 * learnt by GatewayPace, under the admin's ceiling (MAX_IN_FLIGHT, changeable at runtime for the
 * whole fleet), and one while the gateway's circuit is open. Past it, the worker stops fetching
 * payment requests, which wait safely in Kafka. Other topics (results: short database work) get
 * a fixed limit of their own, so a flood of requests never starves the results that free stock
 * and answer shoppers.
 */
@Injectable()
export class Backpressure implements OnModuleInit {
  private readonly payments: Permits;
  private readonly others: Permits;
  private state: Omit<BackpressureState, 'limitInForce'>;

  constructor(
    private readonly settings: RuntimeSettings,
    private readonly pace: GatewayPace,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectMetric(Metrics.permitLimit) private readonly limitGauge: Gauge<'topic'>,
    @InjectMetric(Metrics.permitCeiling) private readonly ceilingGauge: Gauge<'topic'>,
  ) {
    const { maxInFlight, consumerMaxInFlight } = config.backpressure;
    this.payments = new Permits(maxInFlight);
    this.others = new Permits(consumerMaxInFlight);
    this.state = { maxInFlight, setBy: 'MAX_IN_FLIGHT', setAt: new Date() };
    this.pace.onChange((limit) => this.enforce(limit));
  }

  async onModuleInit(): Promise<void> {
    await this.settings.follow(
      SETTING,
      String(this.config.backpressure.maxInFlight),
      'MAX_IN_FLIGHT',
      (state) => this.apply(state),
    );
    this.limitGauge.set({ topic: Topics.paymentResult }, this.others.limit());
  }

  /** The permits a record of `pattern` (a topic's logical name) must hold while it runs. */
  permitsFor(pattern: string): Permits {
    return pattern === Topics.paymentOrder ? this.payments : this.others;
  }

  current(): BackpressureState {
    return { ...this.state, limitInForce: this.payments.limit() };
  }

  history(limit = 50): Promise<SettingChange[]> {
    return this.settings.history(SETTING, limit);
  }

  async set(maxInFlight: number, by: string, reason: string | null): Promise<BackpressureState> {
    await this.settings.set(SETTING, String(maxInFlight), by, reason);
    return this.current();
  }

  private apply({ value, setBy, setAt }: SettingState): void {
    const maxInFlight = Number(value);
    this.state = { maxInFlight, setBy, setAt };
    this.ceilingGauge.set({ topic: Topics.paymentOrder }, maxInFlight);
    this.pace.setCeiling(maxInFlight);
    this.enforce(this.pace.current());
  }

  private enforce(limit: number): void {
    this.payments.resize(limit);
    this.limitGauge.set({ topic: Topics.paymentOrder }, limit);
  }
}
