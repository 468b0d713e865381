/** A message that no retry can fix: it breaks its contract. Transports dead-letter it. */
export class InvalidMessageError extends Error {
  constructor(
    readonly topic: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${topic} message: ${problems.join('; ')}`);
    this.name = 'InvalidMessageError';
  }
}
