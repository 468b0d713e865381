import { PaymentStanding, verdictOf } from './verdict';

const overdue = { overdue: true, flagged: false };
const inTime = { overdue: false, flagged: false };

describe('verdictOf', () => {
  it('calls lost, past its deadline, what will not come by itself', () => {
    const lost: PaymentStanding[] = ['in_process', 'unpublished', 'passed', 'untracked'];
    for (const standing of lost) expect(verdictOf(overdue, standing)).toBe('lost');
  });

  it('calls late a message still queued, or one it cannot place now, however overdue', () => {
    expect(verdictOf(overdue, 'queued')).toBe('late');
    expect(verdictOf(overdue, 'unknown')).toBe('late');
  });

  it('never calls lost an order within its deadline, unless flagged for a human', () => {
    expect(verdictOf(inTime, 'in_process')).toBe('late');
    expect(verdictOf(inTime, 'passed')).toBe('late');
    expect(verdictOf({ overdue: false, flagged: true }, 'queued')).toBe('lost');
  });
});
