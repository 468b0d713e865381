import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
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
   * Runs `step` after the rest of the work and the outbox, just before the commit: for the
   * statement that locks a row every transaction wants (a flash sale's product), so the lock
   * is held for one statement and the commit, not for the whole transaction. A step may not
   * publish: the outbox is written by then.
   */
  beforeCommit(step: () => Promise<void>): void;
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
    const beforeCommitSteps: (() => Promise<void>)[] = [];
    let staged = false;
    const result = await inSpan('transaction', {}, () =>
      this.dataSource.transaction(async (manager) => {
        const done = await work({
          manager,
          beforeCommit: (step) => beforeCommitSteps.push(step),
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
        if (viaKafka.length > 0) {
          this.bus.assertKafka();
          await this.outbox.stage(manager, viaKafka);
        }
        for (const step of beforeCommitSteps) await step();
        return done;
      }),
    );
    try {
      await this.bus.deliver(outgoing);
    } catch (error) {
      throw new DeliveryFailedError(error);
    }
    return result;
  }
}
