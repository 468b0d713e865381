import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Gauge } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DomainError } from '../../http/domain-error';
import { Metrics } from '../metrics/metric-names';
import { RuntimeSettings, SettingChange } from '../settings/runtime-settings';

export const CHECKOUT_MODES = ['sync', 'async'] as const;
export type CheckoutMode = (typeof CHECKOUT_MODES)[number];

export interface ModeState {
  mode: CheckoutMode;
  setBy: string;
  setAt: Date;
}

export interface ModeChange extends Omit<SettingChange, 'from' | 'to'> {
  from: CheckoutMode | null;
  to: CheckoutMode;
}

export class AsyncModeUnavailableError extends DomainError {
  constructor() {
    super(
      'conflict',
      'Async mode needs Kafka, and this deployment has none configured (KAFKA_BROKERS); ' +
        'the checkout stays in sync mode.',
    );
  }
}

const SETTING = 'checkout_mode';

/**
 * The checkout mode all instances route new orders in: a runtime setting an admin switches,
 * audited and followed by the whole fleet within a moment.
 */
@Injectable()
export class CheckoutModeService implements OnModuleInit {
  private state: ModeState = { mode: 'sync', setBy: 'boot', setAt: new Date() };

  constructor(
    private readonly settings: RuntimeSettings,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectMetric(Metrics.mode) private readonly gauge: Gauge<'mode'>,
  ) {}

  async onModuleInit(): Promise<void> {
    const initial = this.config.kafka ? this.config.mode.initial : 'sync';
    await this.settings.follow(SETTING, initial, 'CHECKOUT_MODE', ({ value, setBy, setAt }) => {
      const mode = value as CheckoutMode;
      this.state = { mode, setBy, setAt };
      for (const each of CHECKOUT_MODES) this.gauge.set({ mode: each }, each === mode ? 1 : 0);
    });
  }

  /** The mode a new order is accepted in, on this instance, now. */
  mode(): CheckoutMode {
    return this.state.mode;
  }

  current(): ModeState {
    return { ...this.state };
  }

  async history(limit = 50): Promise<ModeChange[]> {
    return (await this.settings.history(SETTING, limit)) as ModeChange[];
  }

  /** Switches every instance to `mode`; a switch to the mode in force changes nothing. */
  async set(mode: CheckoutMode, by: string, reason: string | null): Promise<ModeState> {
    if (mode === 'async' && !this.config.kafka) throw new AsyncModeUnavailableError();
    await this.settings.set(SETTING, mode, by, reason);
    return this.current();
  }
}
