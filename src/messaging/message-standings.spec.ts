import { GroupPositions } from './kafka/consumer-lag';
import { standingOf } from './message-standings';
import { OutboxMessage } from './outbox/outbox';

const published = (offset: number, partition = 2): OutboxMessage => ({
  key: 'order-1',
  topic: 'payment.order',
  publishedAt: new Date(),
  stagedMsAgo: 1000,
  kafkaTopic: 'shop.payment.order',
  partition,
  offset,
});

const positions = (committed: number | null, logStart = 0): GroupPositions => ({
  at: new Date(),
  topics: new Map([['shop.payment.order', new Map([[2, { logStart, logEnd: 500, committed }]])]]),
});

describe('standingOf', () => {
  it('is queued at or past the committed offset, with the records ahead of it', () => {
    expect(standingOf(published(120), positions(100))).toMatchObject({
      state: 'queued',
      committed: 100,
      ahead: 20,
    });
    expect(standingOf(published(100), positions(100))).toMatchObject({ ahead: 0 });
  });

  it('is passed once the committed offset is beyond it', () => {
    expect(standingOf(published(99), positions(100))).toMatchObject({
      state: 'passed',
      partition: 2,
      offset: 99,
      committed: 100,
    });
  });

  it('is passed when its record left the log, even if the group committed nothing', () => {
    expect(standingOf(published(40), positions(null, 41)).state).toBe('passed');
    expect(standingOf(published(41), positions(null, 41))).toMatchObject({
      state: 'queued',
      ahead: 0,
    });
    expect(standingOf(published(40), positions(10, 41)).state).toBe('passed');
  });

  it('is unpublished while in the outbox', () => {
    const waiting = {
      ...published(0),
      publishedAt: null,
      kafkaTopic: null,
      partition: null,
      offset: null,
    };
    expect(standingOf(waiting, positions(0)).state).toBe('unpublished');
  });

  it('is unknown while the group cannot be asked, and untracked with no landing to compare', () => {
    expect(standingOf(published(5), null).state).toBe('unknown');
    expect(standingOf(published(5, 7), positions(0)).state).toBe('unknown');
    const elsewhere = { ...published(5), kafkaTopic: 'other.payment.order' };
    expect(standingOf(elsewhere, positions(0)).state).toBe('unknown');
    expect(standingOf(undefined, positions(0)).state).toBe('untracked');
    expect(standingOf({ ...published(0), kafkaTopic: null, offset: null }, null).state).toBe(
      'untracked',
    );
  });
});
