import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { EventLoopDelay } from '../../runtime/event-loop-delay';
import { AdaptiveLimit } from './adaptive-limit';

/** One call to the gateway let through; report how it ended, exactly once. */
export interface PacedCall {
  /** The gateway answered (approved or declined): its latency is a sample. */
  answered(): void;
  /** The gateway could not take it (overloaded, unavailable, timed out). */
  dropped(): void;
  /** It ended for a reason that says nothing about the gateway's load. */
  abandoned(): void;
}

/**
 * How many authorizations async payments send the gateway at once: at most the adaptive limit,
 * learnt from each call's latency and outcome (see AdaptiveLimit), under the admin's ceiling
 * (MAX_IN_FLIGHT). A payment waits its turn here before each call, so records that took their
 * permit before the limit fell do not all ask at once. With ADAPTIVE_LIMIT=false the limit is
 * the ceiling. While the gateway's circuit is not closed the limit in force is one, the probe's
 * call, whatever the adaptive limit says: the worker's permits follow it, so it stops taking
 * payment requests, which wait in Kafka, instead of holding one each until every permit waits
 * on the circuit (issue 13). The adaptive limit itself stays where it was for when it closes.
 */
@Injectable()
export class GatewayPace implements OnModuleDestroy {
  private readonly limit: AdaptiveLimit;
  private readonly loopDelay = new EventLoopDelay();
  private readonly adaptive: boolean;
  private circuitClosed = true;
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];
  private readonly listeners: ((limit: number) => void)[] = [];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limit = new AdaptiveLimit(config.backpressure.maxInFlight);
    this.adaptive = config.backpressure.adaptive;
  }

  onModuleDestroy(): void {
    this.loopDelay.stop();
  }

  /** The limit in force. */
  current(): number {
    return this.circuitClosed ? this.limit.current() : 1;
  }

  setCeiling(ceiling: number): void {
    const before = this.current();
    this.limit.setCeiling(ceiling, { adapting: this.adaptive });
    this.changed(before);
  }

  /** Follows the circuit to the gateway: open or half-open, one call at a time goes through. */
  setCircuitClosed(closed: boolean): void {
    const before = this.current();
    this.circuitClosed = closed;
    this.changed(before);
  }

  /** Calls `listener` with the limit in force each time it changes. */
  onChange(listener: (limit: number) => void): void {
    this.listeners.push(listener);
  }

  /** Waits until fewer calls than the limit are in flight, then lets one through. */
  async enter(): Promise<PacedCall> {
    if (this.inFlight < this.current() && this.queue.length === 0) this.inFlight += 1;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    const startedAt = Date.now();
    const inFlight = this.inFlight;
    let ended = false;
    const end = (learn: boolean, dropped: boolean) => {
      if (ended) return;
      ended = true;
      this.inFlight -= 1;
      if (learn && this.adaptive) {
        const before = this.current();
        const ownDelayMs = this.loopDelay.recentMs();
        this.limit.learn({ startedAt, endedAt: Date.now(), inFlight, dropped, ownDelayMs });
        this.changed(before);
      }
      this.admit();
    };
    return {
      answered: () => end(true, false),
      dropped: () => end(true, true),
      abandoned: () => end(false, false),
    };
  }

  private changed(before: number): void {
    const now = this.current();
    if (now === before) return;
    for (const listener of this.listeners) listener(now);
    this.admit();
  }

  /** Lets waiting calls through while the limit allows, counting each as it goes. */
  private admit(): void {
    while (this.inFlight < this.current() && this.queue.length > 0) {
      this.inFlight += 1;
      this.queue.shift()!();
    }
  }
}
