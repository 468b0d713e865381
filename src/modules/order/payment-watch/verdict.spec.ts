import { PaymentStanding, verdictOf } from './verdict';

const WINDOW = 300_000;
const overdue = { overdue: true, flagged: false };
const inTime = { overdue: false, flagged: false };
const at = (standing: PaymentStanding, stagedMsAgo: number | null = WINDOW) => ({
  standing,
  stagedMsAgo,
});

describe('verdictOf', () => {
  it('calls lost, past its deadline, what will not come by itself', () => {
    const lost: PaymentStanding[] = ['in_process', 'unpublished', 'passed', 'untracked'];
    for (const standing of lost) expect(verdictOf(overdue, at(standing), WINDOW)).toBe('lost');
  });

  it('calls late a message still queued, or one it cannot place now, however overdue', () => {
    expect(verdictOf(overdue, at('queued', 10 * WINDOW), WINDOW)).toBe('late');
    expect(verdictOf(overdue, at('unknown', 10 * WINDOW), WINDOW)).toBe('late');
  });

  it('calls late a message staged in the outbox less than a window ago', () => {
    expect(verdictOf(overdue, at('unpublished', 200), WINDOW)).toBe('late');
    expect(verdictOf(overdue, at('unpublished', WINDOW - 1), WINDOW)).toBe('late');
  });

  it('never calls lost an order within its deadline, unless flagged for a human', () => {
    expect(verdictOf(inTime, at('in_process'), WINDOW)).toBe('late');
    expect(verdictOf(inTime, at('passed'), WINDOW)).toBe('late');
    expect(verdictOf({ overdue: false, flagged: true }, at('queued'), WINDOW)).toBe('lost');
  });
});
