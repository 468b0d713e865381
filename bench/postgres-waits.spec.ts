import { waitsText } from './postgres-waits';

describe('waitsText', () => {
  it('names the most frequent first and leaves out what was hardly there', () => {
    expect(
      waitsText({
        running: 1.24,
        'Lock:transactionid': 2.51,
        'IO:WALSync': 0.04,
        'idle in transaction': 0.3,
      }),
    ).toBe('Lock:transactionid 2.5, running 1.2, idle in transaction 0.3');
  });

  it('says nothing was seen for a step without samples or from an older report', () => {
    expect(waitsText({})).toBe('—');
    expect(waitsText(undefined)).toBe('—');
  });
});
