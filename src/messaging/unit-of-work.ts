import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Contract, Envelope, seal } from './envelope';
import { MessageBus } from './message-bus';

/**
 * What one unit of work passes down explicitly: the transaction's manager, and the messages
 * it will publish once (and only if) it commits.
 */
export interface TransactionContext {
  readonly manager: EntityManager;
  /** `messageId` makes a re-published fact the same message to consumers. */
  publish<Body>(contract: Contract<Body>, body: Body, messageId?: string): void;
}

/**
 * Runs work in one database transaction; the messages it publishes are delivered after the
 * commit, never before and never for a rollback.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
  ) {}

  async run<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    const outgoing: Envelope[] = [];
    const result = await this.dataSource.transaction(async (manager) =>
      work({
        manager,
        publish: (contract, body, messageId) => {
          outgoing.push(seal(contract, body, messageId));
        },
      }),
    );
    await this.bus.deliver(outgoing);
    return result;
  }
}
