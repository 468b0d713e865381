import { Injectable } from '@nestjs/common';
import { ConsumerLag, GroupPositions, PartitionPosition } from './kafka/consumer-lag';
import { Outbox, OutboxMessage } from './outbox/outbox';

/**
 * Where a key's latest message stands on its way to the workers:
 * - `unpublished`: in the outbox, not on Kafka yet;
 * - `queued`: on Kafka, at or past the workers' committed offset: waiting its turn, or being
 *   handled (a record is committed only once its effects are);
 * - `passed`: the committed offset (or the log's start: the record was deleted) is past it, so
 *   the workers are done with it, whatever it did;
 * - `unknown`: on Kafka, but where the workers stand is not known now (Kafka does not answer);
 * - `untracked`: no message under the key, or one published before landings were recorded.
 */
export type StandingState = 'unpublished' | 'queued' | 'passed' | 'unknown' | 'untracked';

export interface MessageStanding {
  state: StandingState;
  /** How long ago the message was staged in the outbox; null with no message. */
  stagedMsAgo: number | null;
  /** Where it landed, the topic as Kafka names it; before that, the app's name of it. */
  topic: string | null;
  partition: number | null;
  offset: number | null;
  /** The next record of that partition the workers read. */
  committed: number | null;
  /** Records of the partition before it that the workers have not passed yet. */
  ahead: number | null;
}

/** Where `message` stands against the group's positions (null: positions not known). */
export function standingOf(
  message: OutboxMessage | undefined,
  positions: GroupPositions | null,
): MessageStanding {
  const none = { partition: null, offset: null, committed: null, ahead: null };
  if (!message) return { state: 'untracked', topic: null, stagedMsAgo: null, ...none };
  const { publishedAt, kafkaTopic, partition, offset, stagedMsAgo } = message;
  if (!publishedAt) return { state: 'unpublished', topic: message.topic, stagedMsAgo, ...none };
  if (kafkaTopic === null || partition === null || offset === null) {
    return { state: 'untracked', topic: message.topic, stagedMsAgo, ...none };
  }
  const landed = { topic: kafkaTopic, partition, offset, stagedMsAgo };
  // Another deployment's topic (another KAFKA_TOPIC_PREFIX on the same database) has no
  // position here: unknown, for this instance to leave alone.
  const position: PartitionPosition | undefined = positions?.topics.get(kafkaTopic)?.get(partition);
  if (!position) return { state: 'unknown', ...landed, committed: null, ahead: null };
  // A group that committed nothing yet starts at the log's start (it reads from the beginning).
  const reached = Math.max(position.committed ?? position.logStart, position.logStart);
  const committed = position.committed;
  if (offset < reached) return { state: 'passed', ...landed, committed, ahead: null };
  return { state: 'queued', ...landed, committed, ahead: offset - reached };
}

/**
 * Tells where the latest message of each key stands (an order's: its payment request, or the
 * result that followed it), from the outbox's record of where it landed and the workers'
 * committed offsets. The offsets are read first: a record the workers passed then had its
 * effects committed before, so the outbox and the rows read after show them.
 */
@Injectable()
export class MessageStandings {
  constructor(
    private readonly outbox: Outbox,
    private readonly consumerLag: ConsumerLag,
  ) {}

  async of(keys: readonly string[]): Promise<Map<string, MessageStanding>> {
    const positions = this.consumerLag.positions();
    const latest = await this.outbox.latestFor(keys);
    return new Map(keys.map((key) => [key, standingOf(latest.get(key), positions)]));
  }
}
