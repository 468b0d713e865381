import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { beginWithFirstStatement, commitWith } from '../database/pipelined-transaction';
import { CommitStep } from './commit-step';
import { currentDelivery, Delivery } from './delivery';
import { DeliveryFailedError } from './delivery-failed.error';
import { Contract, seal } from './envelope';
import { MessageBus, Outgoing } from './message-bus';
import { Outbox } from './outbox/outbox';
import { inSpan } from '../runtime/tracing/in-span';

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

/**
 * Runs work in one database transaction. Messages for Kafka are written to the outbox in that
 * transaction; in-process messages are delivered after the commit (a failure then is a
 * DeliveryFailedError: the work stands). Nothing is published for a rollback.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
    private readonly outbox: Outbox,
  ) {}

  async run<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    const outgoing: Outgoing[] = [];
    const steps: CommitStep[] = [];
    let staged = false;
    const result = await inSpan('transaction', {}, () =>
      this.inTransaction(async (manager) => {
        const done = await work({
          manager,
          withCommit: (step) => steps.push(step),
          publish: (contract, body, options = {}) => {
            if (staged)
              throw new Error(`Publishing ${contract.topic} after the outbox was written.`);
            const delivery = options.delivery ?? currentDelivery();
            if (!delivery) {
              throw new Error(`Publishing ${contract.topic} outside a handler needs a delivery.`);
            }
            outgoing.push({ envelope: seal(contract, body, options.messageId), delivery });
          },
        });
        staged = true;
        const viaKafka = outgoing.filter((o) => o.delivery === 'kafka').map((o) => o.envelope);
        if (viaKafka.length > 0) this.bus.assertKafka();
        const last = viaKafka.length > 0 ? [this.outbox.stagingOf(viaKafka), ...steps] : steps;
        return { done, last };
      }),
    );
    try {
      await this.bus.deliver(outgoing);
    } catch (error) {
      throw new DeliveryFailedError(error);
    }
    return result;
  }

  /**
   * Runs `work` in a transaction whose START TRANSACTION goes with the work's first statement,
   * then sends the statements it leaves for the end with the COMMIT. A failed one means
   * PostgreSQL rolled the transaction back; its step's refusal is asked for once the connection
   * is released.
   */
  private async inTransaction<T>(
    work: (manager: EntityManager) => Promise<{ done: T; last: CommitStep[] }>,
  ): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let refused: Refused | undefined;
    let done: T;
    try {
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
      const sent = last.flatMap((step) =>
        step.statements.map((statement, index) => ({ step, index, statement })),
      );
      try {
        const failures = await commitWith(
          runner,
          sent.map(({ statement }) => statement),
        );
        refused = failures
          .map((failure, at) => (failure ? { ...sent[at], failure } : undefined))
          .find((failed) => failed !== undefined);
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
    if (refused) throw await refused.step.refusal(refused.failure, refused.index);
    return done;
  }
}
