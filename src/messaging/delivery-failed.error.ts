/**
 * The work committed, but delivering its in-process messages failed: the change stands, what
 * should have followed it did not happen (yet). The caller answers with the state as it is.
 */
export class DeliveryFailedError extends Error {
  constructor(override readonly cause: unknown) {
    super(`Committed, but delivering its messages failed: ${String(cause)}`);
    this.name = 'DeliveryFailedError';
  }
}
