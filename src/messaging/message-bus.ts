import { Injectable } from '@nestjs/common';
import { Envelope } from './envelope';
import { InProcessServer } from './in-process.server';

/**
 * Delivers messages whose transaction has committed. Sync mode delivers in-process and waits
 * for the handlers; the Kafka transport (async mode) slots in here.
 */
@Injectable()
export class MessageBus {
  constructor(private readonly inProcess: InProcessServer) {}

  async deliver(envelopes: readonly Envelope[]): Promise<void> {
    for (const envelope of envelopes) {
      await this.inProcess.deliver(envelope);
    }
  }
}
