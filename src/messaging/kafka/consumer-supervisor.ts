import { Consumer, ConsumerGroupJoinEvent } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

/** What health and operators see of the consumer: its own state, not a probe's. */
export interface ConsumerState {
  /**
   * `connected`: a member of its group with its assignment, fetching. `starting` (booting) and
   * `restarting` (after a crash): not a member yet. `crashed`: it could not be started again.
   */
  status:
    | 'starting'
    | 'connected'
    | 'rebalancing'
    | 'restarting'
    | 'disconnected'
    | 'stopped'
    | 'crashed';
  lastHeartbeatAt: Date | null;
  assignedPartitions: number;
  /** Times this consumer joined its group: more than once means it was rebalanced. */
  joins: number;
  /** Times it was started again after a crash. */
  restarts: number;
  /** The crash it is restarting after, until it is a member again. */
  lastError: string | null;
}

export interface SupervisorHooks {
  /** The partitions it takes records from changed (see `partitionsConsumed`). */
  onConsumingChanged(partitions: number): void;
  onJoined(assignment: ConsumerGroupJoinEvent['payload']['memberAssignment']): void;
  /** The member's partitions may go to another: a rebalance begins, or it crashed or stops. */
  onAssignmentEnding(): void;
  /** Drops a member of the group this consumer no longer is; true once it is gone. */
  leaveGroup(groupId: string, memberId: string): Promise<boolean>;
  onCrashed(error: unknown, restartInMs: number): void;
  onUnrecoverable(error: unknown): void;
}

/**
 * The partitions a consumer takes records from: its assignment while it is a member of its
 * group, none while it boots, rebalances, restarts after a crash or has stopped.
 */
export function partitionsConsumed(state: ConsumerState): number {
  return state.status === 'connected' ? state.assignedPartitions : 0;
}

/** Waits before a restart: quick after one crash, at most a second apart while they repeat. */
const RESTART_DELAYS_MS = [250, 500, 1000];
/** Between attempts to drop the member a crashed consumer was, while the broker is away. */
const LEAVE_RETRY_MS = 1000;

/** A consumer before its first join. */
export const STARTING: Readonly<ConsumerState> = {
  status: 'starting',
  lastHeartbeatAt: null,
  assignedPartitions: 0,
  joins: 0,
  restarts: 0,
  lastError: null,
};

/**
 * Keeps a kafkajs consumer running, and says how it is. kafkajs restarts a crashed consumer
 * itself only after errors it deems retriable, after its retrier's last pause, and leaves it
 * stopped for good after some that pass by themselves (KafkaJSGroupCoordinatorNotFound after a
 * broker restart: tulios/kafkajs#1445). So the consumer is told never to (`restartOnFailure`),
 * and every crash is restarted here within a second, until the app shuts down. While the broker
 * is away, that is a connection attempt about every second per worker.
 *
 * A restarted consumer joins as a new member, and the group waits for the member it was (which
 * a restarted broker still counts) until that one's session or the rebalance timeout ends; so
 * the old member is also asked to leave, once a second until the broker answers.
 */
export class ConsumerSupervisor {
  private current: ConsumerState = { ...STARTING };
  private crashesInARow = 0;
  private member: { groupId: string; memberId: string } | null = null;
  private leaving: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private run: () => Promise<void> = () => Promise.resolve();

  /** For the consumer's `retry` options: kafkajs asks whether to restart; this does instead. */
  static readonly restartOnFailure = (): Promise<boolean> => Promise.resolve(false);

  constructor(
    private readonly consumer: Consumer,
    private readonly hooks: SupervisorHooks,
  ) {
    this.watch();
  }

  state(): ConsumerState {
    return { ...this.current };
  }

  /**
   * Runs the consumer, without waiting for it to join its group: a join waits for the members
   * the group still counts (a killed worker, until its session times out), and the instance
   * serves its health meanwhile, not ready until it is a member.
   */
  start(run: () => Promise<void>): void {
    this.run = run;
    this.launch();
  }

  /** No more restarts: the app is shutting down. */
  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private launch(): void {
    // kafkajs reports a failed join as a crash; a rejection here means run() itself is broken.
    this.run().catch((error: unknown) => {
      this.set({ status: 'crashed', lastError: String(error) });
      this.hooks.onUnrecoverable(error);
    });
  }

  private watch(): void {
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.crashesInARow = 0;
      this.member = { groupId: payload.groupId, memberId: payload.memberId };
      const assigned = Object.values(payload.memberAssignment).reduce((n, p) => n + p.length, 0);
      // Joining resets the member's session at the coordinator, as a heartbeat does.
      this.set({
        status: 'connected',
        assignedPartitions: assigned,
        joins: this.current.joins + 1,
        lastHeartbeatAt: new Date(),
        lastError: null,
      });
      this.hooks.onJoined(payload.memberAssignment);
    });
    this.consumer.on(events.HEARTBEAT, () => this.set({ lastHeartbeatAt: new Date() }));
    this.consumer.on(events.REBALANCING, () => {
      this.hooks.onAssignmentEnding();
      this.set({ status: 'rebalancing' });
    });
    // A restart that fails stops and disconnects the consumer again: it is still restarting.
    this.consumer.on(events.DISCONNECT, () => this.settle('disconnected'));
    this.consumer.on(events.STOP, () => {
      this.hooks.onAssignmentEnding();
      this.settle('stopped');
    });
    // kafkajs has already stopped and disconnected the consumer when it reports the crash.
    this.consumer.on(events.CRASH, ({ payload }) => {
      this.hooks.onAssignmentEnding();
      if (this.stopped) return;
      const delay = RESTART_DELAYS_MS[Math.min(this.crashesInARow, RESTART_DELAYS_MS.length - 1)];
      this.crashesInARow += 1;
      this.set({ status: 'restarting', assignedPartitions: 0, lastError: String(payload.error) });
      this.hooks.onCrashed(payload.error, delay);
      this.leaveAsFormerMember();
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.stopped) return;
        this.set({ restarts: this.current.restarts + 1 });
        this.launch();
      }, delay);
    });
  }

  /**
   * Until the old member is gone, or the consumer has joined again (a join completes only once
   * the group has dropped the members that did not join: the old one is gone then too).
   */
  private leaveAsFormerMember(): void {
    const former = this.member;
    if (!former || this.leaving) return;
    const joins = this.current.joins;
    this.leaving = (async () => {
      while (!this.stopped && this.current.joins === joins) {
        if (await this.hooks.leaveGroup(former.groupId, former.memberId).catch(() => false)) {
          if (this.member === former) this.member = null;
          return;
        }
        await sleep(LEAVE_RETRY_MS);
      }
    })().finally(() => (this.leaving = null));
  }

  private settle(status: 'stopped' | 'disconnected'): void {
    if (this.current.status !== 'restarting' || this.stopped) this.set({ status });
  }

  private set(change: Partial<ConsumerState>): void {
    const before = partitionsConsumed(this.current);
    this.current = { ...this.current, ...change };
    const now = partitionsConsumed(this.current);
    if (now !== before) this.hooks.onConsumingChanged(now);
  }
}
