import { Injectable } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, Server } from '@nestjs/microservices';
import { deliverToHandlers } from './deliver-to-handlers';
import { Envelope } from './envelope';

/** The context a handler sees when a message was delivered in-process: the envelope's topic. */
export class InProcessContext extends BaseRpcContext<[string]> {
  getTopic(): string {
    return this.args[0];
  }
}

/**
 * The transport of sync mode: delivers a message to every `@EventPattern` handler of its topic
 * by a function call and resolves only when all of them (and whatever they publish in turn)
 * are done, so a checkout completes inside its HTTP request.
 */
@Injectable()
export class InProcessServer extends Server implements CustomTransportStrategy {
  listen(callback: () => void): void {
    callback();
  }

  close(): void {}

  on(): never {
    throw new Error('The in-process transport emits no events.');
  }

  unwrap<T>(): T {
    throw new Error('The in-process transport wraps no client.');
  }

  /** Runs every handler of the envelope's topic; rejects with the first handler error. */
  async deliver(envelope: Envelope): Promise<void> {
    const context = new InProcessContext([envelope.type]);
    await deliverToHandlers(this, envelope.type, envelope, context, 'in-process');
  }
}
