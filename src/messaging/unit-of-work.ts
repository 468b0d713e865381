import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { AsyncResource } from 'node:async_hooks';
import {
  beginWithFirstStatement,
  coalescingWrites,
  commitWith,
  LastStatement,
} from '../database/pipelined-transaction';
import { inFewerStatements } from '../database/statements-together';
import { CommitStep } from './commit-step';
import { currentDelivery, Delivery } from './delivery';
import { DeliveryFailedError } from './delivery-failed.error';
import { Contract, Envelope, seal } from './envelope';
import { MessageBus, Outgoing } from './message-bus';
import { Outbox } from './outbox/outbox';
import { inSpan } from '../runtime/tracing/in-span';
import { GroupedWork, TransactionGroup } from './transaction-group';

export interface PublishOptions {
  /** Makes a re-published fact the same message to consumers. */
  messageId?: string;
  /**
   * How the message travels. A handler's messages travel as the message it handles did; work
   * started elsewhere (an HTTP request) must say.
   */
  delivery?: Delivery;
}

/**
 * What one unit of work passes down explicitly: the transaction's manager, and the messages
 * it will publish once (and only if) it commits.
 */
export interface TransactionContext {
  readonly manager: EntityManager;
  publish<Body>(contract: Contract<Body>, body: Body, options?: PublishOptions): void;
  /**
   * Sends `step`'s statements after the rest of the work, with the outbox's rows and the COMMIT
   * in one round trip: for the statement that locks a row every transaction wants (a flash
   * sale's product), so the lock is held for its execution and the commit, not for round trips
   * of a process busy with other requests. Its statements cannot read their answers to decide:
   * one that must refuse fails (a constraint), PostgreSQL answers the COMMIT with a ROLLBACK,
   * and the unit of work fails with `step.refusal`'s error.
   */
  withCommit(step: CommitStep): void;
}

/** A statement sent with the commit failed: the transaction rolled back. */
interface Refused {
  step: CommitStep;
  failure: QueryFailedError;
  index: number;
}

type Work<T> = (tx: TransactionContext) => Promise<T>;

/** What a unit of work ran to in a committed transaction, and what it left to deliver. */
interface Finished {
  done: unknown;
  unit: Unit;
}

/** A statement sent with the commit, with the step it belongs to. */
interface SentStatement {
  step: CommitStep;
  index: number;
  statement: LastStatement;
}

/**
 * `sent` with those that lock a shared row last, in the code-point order of the rows
 * (CommitStep.lockOrder): a stable sort, so the rest, and one unit's statements on one row, keep
 * their order.
 */
function inLockOrder(sent: SentStatement[]): SentStatement[] {
  const lockOf = ({ step, index }: SentStatement) => step.lockOrder?.[index] ?? '';
  return [...sent].sort((a, b) => (lockOf(a) < lockOf(b) ? -1 : lockOf(a) > lockOf(b) ? 1 : 0));
}

/**
 * The group (UnitOfWork.runInGroup) of every handler of `message`'s topic: the handlers one
 * message reaches in several modules share one transaction, with those of the messages that
 * arrive meanwhile, rather than one each.
 */
export function handlersOf(message: Pick<Envelope, 'type'>): string {
  return `handlers of ${message.type}`;
}

/** At most this many units share a transaction; the results' permits bound it first. */
const MAX_UNITS_TOGETHER = 64;

/**
 * One unit of work's share of a transaction: its context, the messages it publishes and the
 * statements it leaves for the commit.
 */
class Unit {
  readonly outgoing: Outgoing[] = [];
  private readonly steps: CommitStep[] = [];
  private staged = false;

  contextOn(manager: EntityManager): TransactionContext {
    return {
      manager,
      withCommit: (step) => this.steps.push(step),
      publish: (contract, body, options = {}) => {
        if (this.staged)
          throw new Error(`Publishing ${contract.topic} after the outbox was written.`);
        const delivery = options.delivery ?? currentDelivery();
        if (!delivery) {
          throw new Error(`Publishing ${contract.topic} outside a handler needs a delivery.`);
        }
        this.outgoing.push({ envelope: seal(contract, body, options.messageId), delivery });
      },
    };
  }

  /** Its statements for the commit: its messages for Kafka as outbox rows, then its steps. */
  lastStatements(bus: MessageBus, outbox: Outbox): CommitStep[] {
    this.staged = true;
    const viaKafka = this.outgoing.filter((o) => o.delivery === 'kafka').map((o) => o.envelope);
    if (viaKafka.length === 0) return this.steps;
    bus.assertKafka();
    return [outbox.stagingOf(viaKafka), ...this.steps];
  }
}

/**
 * Runs work in one database transaction. Messages for Kafka are written to the outbox in that
 * transaction; in-process messages are delivered after the commit (a failure then is a
 * DeliveryFailedError: the work stands). Nothing is published for a rollback.
 */
@Injectable()
export class UnitOfWork {
  private readonly groups = new Map<string, TransactionGroup<EntityManager, Finished>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
    private readonly outbox: Outbox,
  ) {}

  async run<T>(work: Work<T>): Promise<T> {
    const [finished] = await inSpan('transaction', {}, () =>
      this.transact([(manager) => this.finish(work, manager)]),
    );
    return this.deliver<T>(finished);
  }

  /**
   * Runs `work` as `run` does, in a transaction it may share with the units of `group` that
   * arrive meanwhile (see TransactionGroup): for work that every message at peak does. Units
   * sharing a transaction share its locks, so units that lock the same thing must give the same
   * `key` (they then never share one). `lanes`: how many of the group's transactions may run at
   * once (see TransactionGroup), the same at every call of a group. Each unit's trace shows its
   * part of the shared transaction, with how many units shared it.
   */
  async runInGroup<T>(
    group: string,
    work: Work<T>,
    { key, lanes }: { key?: string; lanes?: number } = {},
  ): Promise<T> {
    // The caller's context (its trace) for its part of the group's transaction. Not
    // AsyncResource.bind: it defines deprecated properties on every bound function, a cost at
    // every message.
    const caller = new AsyncResource('unit of work');
    const traced = (manager: EntityManager, units: number) =>
      caller.runInAsyncScope(() =>
        inSpan('transaction', { attributes: { 'transaction.units': units } }, () =>
          this.finish(work, manager),
        ),
      );
    return this.deliver<T>(await this.groupOf(group, lanes).join(traced, key));
  }

  private groupOf(name: string, lanes?: number): TransactionGroup<EntityManager, Finished> {
    let group = this.groups.get(name);
    if (!group) {
      group = new TransactionGroup((works) => this.transact(works), MAX_UNITS_TOGETHER, lanes);
      this.groups.set(name, group);
    }
    return group;
  }

  private async finish<T>(work: Work<T>, manager: EntityManager): Promise<Finished> {
    const unit = new Unit();
    return { done: await work(unit.contextOn(manager)), unit };
  }

  private async deliver<T>({ done, unit }: Finished): Promise<T> {
    try {
      await this.bus.deliver(unit.outgoing);
    } catch (error) {
      throw new DeliveryFailedError(error);
    }
    return done as T;
  }

  /**
   * Runs `works` side by side in one transaction, their statements coalesced into shared
   * writes, then sends what they leave for the end with the COMMIT. Any failing fails them all.
   */
  private transact(works: GroupedWork<EntityManager, Finished>[]): Promise<Finished[]> {
    return this.inTransaction(async (manager) => {
      const settled = await Promise.allSettled(works.map((work) => work(manager, works.length)));
      const finished = settled.map((outcome) => {
        if (outcome.status === 'rejected') throw outcome.reason;
        return outcome.value;
      });
      return {
        done: finished,
        last: finished.flatMap(({ unit }) => unit.lastStatements(this.bus, this.outbox)),
      };
    }, works.length > 1);
  }

  /**
   * Runs `work` in a transaction whose START TRANSACTION goes with the work's first statement,
   * then sends the statements it leaves for the end with the COMMIT. A failed one means
   * PostgreSQL rolled the transaction back; its step's refusal is asked for once the connection
   * is released. `shared`: several units' work, asking statements side by side (see
   * coalescingWrites) and their last statements of a kind as one (inFewerStatements); its
   * failure is not told as a refusal, as each unit then runs alone.
   */
  private async inTransaction<T>(
    work: (manager: EntityManager) => Promise<{ done: T; last: CommitStep[] }>,
    shared: boolean,
  ): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let refused: Refused | undefined;
    let sharedFailure: QueryFailedError | undefined;
    let done: T;
    let stopCoalescing = () => {};
    try {
      if (shared) stopCoalescing = await coalescingWrites(runner);
      const { begun } = await beginWithFirstStatement(runner);
      let last: CommitStep[];
      try {
        ({ done, last } = await work(runner.manager));
        await begun;
      } catch (error) {
        // The work's error is the one to tell, not a rollback's on a connection it broke.
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
      const sent = inLockOrder(
        last.flatMap((step) =>
          step.statements.map((statement, index) => ({ step, index, statement })),
        ),
      );
      try {
        const statements = sent.map(({ statement }) => statement);
        if (shared) {
          const failure = (await commitWith(runner, inFewerStatements(statements))).find(Boolean);
          if (failure) sharedFailure = failure;
        } else {
          const failures = await commitWith(runner, statements);
          refused = failures
            .map((failure, at) => (failure ? { ...sent[at], failure } : undefined))
            .find((failed) => failed !== undefined);
        }
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      stopCoalescing();
      await runner.release();
    }
    if (sharedFailure) throw sharedFailure;
    if (refused) throw await refused.step.refusal(refused.failure, refused.index);
    return done;
  }
}
