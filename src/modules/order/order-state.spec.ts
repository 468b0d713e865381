import { isFinal, statusAfter, transition } from './order-state';

describe('order state machine', () => {
  it('moves a waiting order to the status its payment outcome names', () => {
    expect(transition('PENDING_PAYMENT', 'paymentApproved')).toEqual({ kind: 'moved', to: 'PAID' });
    expect(transition('PENDING_PAYMENT', 'paymentDeclined')).toEqual({
      kind: 'moved',
      to: 'PAYMENT_FAILED',
    });
    expect(transition('PENDING_PAYMENT', 'paymentErrored')).toEqual({
      kind: 'moved',
      to: 'PAYMENT_FAILED',
    });
    expect(transition('PENDING_PAYMENT', 'fraudRejected')).toEqual({
      kind: 'moved',
      to: 'FRAUD_REJECTED',
    });
  });

  it('treats the same result delivered twice as already applied', () => {
    expect(transition('PAID', 'paymentApproved')).toEqual({ kind: 'already', status: 'PAID' });
    expect(transition('PAYMENT_FAILED', 'paymentErrored')).toEqual({
      kind: 'already',
      status: 'PAYMENT_FAILED',
    });
  });

  it('refuses a conflicting result for a settled order', () => {
    expect(transition('PAID', 'paymentDeclined')).toEqual({
      kind: 'refused',
      status: 'PAID',
      event: 'paymentDeclined',
    });
    expect(transition('FRAUD_REJECTED', 'paymentApproved').kind).toBe('refused');
  });

  it('knows which statuses are final', () => {
    expect(isFinal('PENDING_PAYMENT')).toBe(false);
    expect(['PAID', 'PAYMENT_FAILED', 'FRAUD_REJECTED'].every((s) => isFinal(s as never))).toBe(
      true,
    );
  });

  it('maps each payment outcome to the status it leaves', () => {
    expect(statusAfter('APPROVED')).toBe('PAID');
    expect(statusAfter('DECLINED')).toBe('PAYMENT_FAILED');
    expect(statusAfter('ERROR')).toBe('PAYMENT_FAILED');
    expect(statusAfter('FRAUD_REJECTED')).toBe('FRAUD_REJECTED');
  });
});

describe('retrying a payment', () => {
  it('takes a failed order back to waiting, and nothing else', () => {
    expect(transition('PAYMENT_FAILED', 'paymentRetried')).toEqual({
      kind: 'moved',
      to: 'PENDING_PAYMENT',
    });
    expect(transition('PAID', 'paymentRetried').kind).toBe('refused');
    expect(transition('FRAUD_REJECTED', 'paymentRetried').kind).toBe('refused');
    expect(transition('PENDING_PAYMENT', 'paymentRetried').kind).toBe('refused');
  });
});
