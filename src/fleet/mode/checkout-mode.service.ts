import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { every, Repeating } from '../../runtime/every';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { hostname } from 'node:os';
import { Gauge } from 'prom-client';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DomainError } from '../../runtime/domain-error';
import { Metrics } from '../../runtime/metrics/metric-names';
import { RuntimeSettings, SettingChange } from '../settings/runtime-settings';
import { AutoState, decideAutoMode } from './auto-mode-policy';
import { CheckoutLoadMeter } from './checkout-load-meter';
import { CHECKOUT_MODES, CheckoutMode, ModeSetting } from './checkout-mode';

export interface ModeState {
  mode: ModeSetting;
  /** The mode this instance accepts new orders in now (auto mode's current choice). */
  effective: CheckoutMode;
  setBy: string;
  setAt: Date;
}

export interface ModeChange extends Omit<SettingChange, 'from' | 'to'> {
  from: ModeSetting | null;
  to: ModeSetting;
}

export class AsyncModeUnavailableError extends DomainError {
  constructor(mode: ModeSetting) {
    super(
      'conflict',
      `${mode === 'auto' ? 'Auto mode may go async, which' : 'Async mode'} needs Kafka, and ` +
        'this deployment has none configured (KAFKA_BROKERS); the checkout stays in sync mode.',
    );
  }
}

const SETTING = 'checkout_mode';

/**
 * The checkout mode all instances route new orders in: a runtime setting an admin switches,
 * audited and followed by the whole fleet within a moment. In auto mode each instance samples
 * its own load every AUTO_SAMPLE_MS and switches itself (see decideAutoMode), auditing each
 * switch like an admin's.
 */
@Injectable()
export class CheckoutModeService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private setting: Omit<ModeState, 'effective'> = {
    mode: 'sync',
    setBy: 'boot',
    setAt: new Date(),
  };
  private auto: AutoState = { mode: 'sync', calmSince: null };
  private sampler: Repeating | null = null;

  constructor(
    private readonly settings: RuntimeSettings,
    private readonly load: CheckoutLoadMeter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.mode) private readonly gauge: Gauge<'mode'>,
  ) {
    this.logger.setContext(CheckoutModeService.name);
  }

  async onModuleInit(): Promise<void> {
    const initial = this.asyncAvailable() ? this.config.mode.initial : 'sync';
    await this.settings.follow(SETTING, initial, 'CHECKOUT_MODE', ({ value, setBy, setAt }) => {
      const mode = value as ModeSetting;
      // Auto mode starts from where the instance is, rather than flipping on the spot.
      if (mode === 'auto' && this.setting.mode !== 'auto') {
        this.auto = { mode: this.effective(), calmSince: null };
      }
      this.setting = { mode, setBy, setAt };
      this.measure();
    });
  }

  onApplicationBootstrap(): void {
    this.sampler = every(
      this.config.autoMode.sampleMs,
      () => this.sample(),
      (error) => this.logger.error({ error: String(error) }, 'auto mode sample failed'),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sampler?.stop();
  }

  /** The mode a new order is accepted in, on this instance, now. */
  mode(): CheckoutMode {
    return this.effective();
  }

  current(): ModeState {
    return { ...this.setting, effective: this.effective() };
  }

  async history(limit = 50): Promise<ModeChange[]> {
    return (await this.settings.history(SETTING, limit)) as ModeChange[];
  }

  /** Whether this deployment can go async at all (Kafka configured). */
  asyncAvailable(): boolean {
    return this.config.kafka !== null;
  }

  /** Switches every instance to `mode`; a switch to the mode in force changes nothing. */
  async set(mode: ModeSetting, by: string, reason: string | null): Promise<ModeState> {
    if (mode !== 'sync' && !this.asyncAvailable()) throw new AsyncModeUnavailableError(mode);
    await this.settings.set(SETTING, mode, by, reason);
    return this.current();
  }

  private effective(): CheckoutMode {
    return this.setting.mode === 'auto' ? this.auto.mode : this.setting.mode;
  }

  /** Audits an automatic switch before it takes effect, so the history never lags the mode. */
  private async sample(): Promise<void> {
    if (this.setting.mode !== 'auto') return;
    const from = this.auto.mode;
    const decision = decideAutoMode(this.auto, this.load.now(), this.config.autoMode, Date.now());
    if (decision.switched) {
      this.logger.warn({ from, to: decision.mode, reason: decision.reason }, 'auto mode switched');
      await this.settings
        .record(SETTING, from, decision.mode, `auto@${hostname()}`.slice(0, 64), decision.reason!)
        .catch((error: unknown) =>
          this.logger.error({ error: String(error) }, 'could not audit an auto mode switch'),
        );
    }
    // An admin may have switched away from auto meanwhile: then auto's choice no longer counts.
    this.auto = { mode: decision.mode, calmSince: decision.calmSince };
    if (decision.switched) this.measure();
  }

  private measure(): void {
    const effective = this.effective();
    for (const each of CHECKOUT_MODES) this.gauge.set({ mode: each }, each === effective ? 1 : 0);
    this.gauge.set({ mode: 'auto' }, this.setting.mode === 'auto' ? 1 : 0);
  }
}
