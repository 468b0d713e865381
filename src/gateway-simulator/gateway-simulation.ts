import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayKnobs } from './gateway-knobs';

/** One authorization as a merchant sends it. */
export interface AuthorizationCall {
  /** A repeated key is answered with its first answer and never charged again. */
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  paymentToken: string;
}

export type Answer =
  { status: 'APPROVED'; reference: string } | { status: 'DECLINED'; reason: string };

/**
 * What reaches the caller. A lost answer was decided (an approval charged) like any other, but
 * never arrives: the caller sees a timeout, and learns the truth by asking again with the key.
 */
export interface Delivery {
  answer: Answer;
  lost: boolean;
}

/** The gateway cannot take the call now (overloaded or down); nothing was charged. */
export class GatewayUnavailableError extends Error {
  constructor(readonly reason: 'overloaded' | 'unavailable') {
    super(`gateway ${reason}`);
    this.name = 'GatewayUnavailableError';
  }
}

/** A key already used for another amount: the caller has a bug, and retrying will not help. */
export class KeyReusedError extends Error {
  constructor(
    key: string,
    first: { amountCents: number; currency: string },
    call: AuthorizationCall,
  ) {
    super(
      `Idempotency key ${key} was first used for ${first.amountCents} ${first.currency}, ` +
        `not ${call.amountCents} ${call.currency}: use a new key for another payment.`,
    );
    this.name = 'KeyReusedError';
  }
}

/** What the gateway has seen, as its operator's dashboard would show it. */
export interface GatewayLedger {
  /** Authorization requests received, repeated keys included. */
  calls: number;
  inFlight: number;
  peakInFlight: number;
  /** Approved, unvoided authorizations per key; a double charge would show as a count of 2. */
  charges: ReadonlyMap<string, number>;
  /** Answers decided and then lost on their way back. */
  lostResponses: number;
  voids: number;
}

export interface SimulationOptions {
  /** Source of the transient failures and lost answers at their rates; tests provide draws. */
  random?: () => number;
  /** Told the total charges held whenever it changes (the app's metric of them). */
  onChargesChanged?: (charges: number) => void;
}

interface Decision {
  amountCents: number;
  currency: string;
  answer: Promise<Answer>;
}

/**
 * The simulated payment gateway, one core for the in-process simulator and the HTTP service.
 * Traits that matter at peak: a latency, a capacity of concurrent authorizations (past it,
 * each call slows in proportion; past twice it, calls fail as overloaded), a decline rule, a
 * rate of transient failures and a rate of lost answers. Test tokens: `tok_decline…` is
 * declined, `tok_unavailable…` always fails transiently, `tok_lost_response…` is approved and
 * charged but the answer to its first call is lost.
 */
export class GatewaySimulation {
  private knobs: GatewayKnobs;
  private readonly random: () => number;
  private readonly onChargesChanged: (charges: number) => void;
  private readonly decisions = new Map<string, Decision>();
  private readonly answered = new Set<string>();
  private readonly charges = new Map<string, number>();
  private readonly voided = new Set<string>();
  private chargesHeld = 0;
  private calls = 0;
  private inFlight = 0;
  private peakInFlight = 0;
  private lostResponses = 0;
  private voids = 0;

  constructor(knobs: GatewayKnobs, options: SimulationOptions = {}) {
    this.knobs = { ...knobs };
    this.random = options.random ?? Math.random;
    this.onChargesChanged = options.onChargesChanged ?? (() => undefined);
  }

  /** Changes how the gateway behaves from the next call on: a slowdown, an outage, a fix. */
  tune(change: Partial<GatewayKnobs>): GatewayKnobs {
    this.knobs = { ...this.knobs, ...change };
    return this.currentKnobs();
  }

  currentKnobs(): GatewayKnobs {
    return { ...this.knobs };
  }

  /**
   * Decides an authorization once per key: a call with a key already decided (or being
   * decided) gets that decision, and is never charged again. Throws GatewayUnavailableError
   * (the next call with the key is decided afresh) or KeyReusedError.
   */
  async authorize(call: AuthorizationCall): Promise<Delivery> {
    this.calls += 1;
    const key = call.idempotencyKey;
    let decision = this.decisions.get(key);
    if (
      decision &&
      (decision.amountCents !== call.amountCents || decision.currency !== call.currency)
    ) {
      throw new KeyReusedError(key, decision, call);
    }
    if (this.voided.has(key))
      return { answer: { status: 'DECLINED', reason: 'voided' }, lost: false };
    if (!decision) {
      const made: Decision = {
        amountCents: call.amountCents,
        currency: call.currency,
        answer: this.decide(call),
      };
      this.decisions.set(key, made);
      made.answer.catch(() => {
        if (this.decisions.get(key) === made) this.decisions.delete(key);
      });
      decision = made;
    }
    return this.deliver(call, await decision.answer);
  }

  /**
   * Cancels the authorization under a key, so a charge whose answer was lost does not stand;
   * an authorization still being decided is declined. A no-op for an unknown key.
   */
  void(idempotencyKey: string): { chargesVoided: number } {
    this.voided.add(idempotencyKey);
    this.voids += 1;
    const chargesVoided = this.charges.get(idempotencyKey) ?? 0;
    this.charges.delete(idempotencyKey);
    if (chargesVoided > 0) this.chargesChangedBy(-chargesVoided);
    return { chargesVoided };
  }

  /** What became of one key: its charges, whether it was voided, its first answer if any. */
  async lookUp(
    idempotencyKey: string,
  ): Promise<{ charges: number; voided: boolean; answer: Answer | null } | null> {
    const decision = this.decisions.get(idempotencyKey);
    const voided = this.voided.has(idempotencyKey);
    if (!decision && !voided) return null;
    const answer = decision ? await decision.answer.catch(() => null) : null;
    return { charges: this.charges.get(idempotencyKey) ?? 0, voided, answer };
  }

  ledger(): GatewayLedger {
    return {
      calls: this.calls,
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      charges: new Map(this.charges),
      lostResponses: this.lostResponses,
      voids: this.voids,
    };
  }

  private deliver(call: AuthorizationCall, answer: Answer): Delivery {
    const first = !this.answered.has(call.idempotencyKey);
    this.answered.add(call.idempotencyKey);
    const { lostResponseRate } = this.knobs;
    const lost =
      (first && call.paymentToken.startsWith('tok_lost_response')) ||
      (lostResponseRate > 0 && this.random() < lostResponseRate);
    if (lost) this.lostResponses += 1;
    return { answer, lost };
  }

  private async decide(call: AuthorizationCall): Promise<Answer> {
    const { latencyMs, capacity, transientFailureRate, declineAboveCents } = this.knobs;
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      const load = this.inFlight / capacity;
      await sleep(latencyMs * Math.max(1, load));
      if (load > 2) throw new GatewayUnavailableError('overloaded');
      if (call.paymentToken.startsWith('tok_unavailable')) {
        throw new GatewayUnavailableError('unavailable');
      }
      if (transientFailureRate > 0 && this.random() < transientFailureRate) {
        throw new GatewayUnavailableError('unavailable');
      }
      if (call.paymentToken.startsWith('tok_decline')) {
        return { status: 'DECLINED', reason: 'card_declined' };
      }
      if (call.amountCents > declineAboveCents) {
        return { status: 'DECLINED', reason: 'amount_over_limit' };
      }
      // Voided while it was being decided: the merchant gave up on it, so it must not charge.
      if (this.voided.has(call.idempotencyKey)) return { status: 'DECLINED', reason: 'voided' };
      this.charges.set(call.idempotencyKey, (this.charges.get(call.idempotencyKey) ?? 0) + 1);
      this.chargesChangedBy(1);
      return { status: 'APPROVED', reference: `sim_${randomUUID()}` };
    } finally {
      this.inFlight -= 1;
    }
  }

  private chargesChangedBy(delta: number): void {
    this.chargesHeld += delta;
    this.onChargesChanged(this.chargesHeld);
  }
}
