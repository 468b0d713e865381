import { PipeTransform } from '@nestjs/common';
import { Contract, Envelope, envelopeSchema, issuesOf } from './envelope';
import { InvalidMessageError } from './invalid-message.error';

/**
 * Validates an incoming message against its contract, whatever transport carried it:
 * `@Payload(new ContractPipe(paymentRequested)) message: Envelope<PaymentRequested>`.
 */
export class ContractPipe<Body> implements PipeTransform<unknown, Envelope<Body>> {
  constructor(private readonly contract: Contract<Body>) {}

  transform(value: unknown): Envelope<Body> {
    const envelope = envelopeSchema.safeParse(value);
    if (!envelope.success) {
      throw new InvalidMessageError(this.contract.topic, issuesOf(envelope.error));
    }
    const { type, version, body } = envelope.data;
    if (type !== this.contract.topic || version !== this.contract.version) {
      throw new InvalidMessageError(this.contract.topic, [
        `expected ${this.contract.topic} v${this.contract.version}, got ${type} v${version}`,
      ]);
    }
    const parsed = this.contract.schema.safeParse(body);
    if (!parsed.success) {
      throw new InvalidMessageError(this.contract.topic, issuesOf(parsed.error, 'body.'));
    }
    return { ...envelope.data, type: this.contract.topic, body: parsed.data };
  }
}
