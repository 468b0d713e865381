import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer } from 'kafkajs';
import { ConsumerSupervisor, SupervisorHooks } from './consumer-supervisor';

/** The events of a kafkajs consumer that the supervisor listens to, sent by hand. */
class ConsumerEvents extends EventEmitter {
  readonly events = {
    GROUP_JOIN: 'consumer.group_join',
    HEARTBEAT: 'consumer.heartbeat',
    REBALANCING: 'consumer.rebalancing',
    DISCONNECT: 'consumer.disconnect',
    STOP: 'consumer.stop',
    CRASH: 'consumer.crash',
  };

  joined(memberId: string): void {
    this.emit(this.events.GROUP_JOIN, {
      payload: { groupId: 'payments', memberId, memberAssignment: { 'payment.order': [0, 1] } },
    });
  }

  crashed(error: string): void {
    this.emit(this.events.STOP, {});
    this.emit(this.events.DISCONNECT, {});
    this.emit(this.events.CRASH, { payload: { error: new Error(error), restart: false } });
  }

  rebalancing(): void {
    this.emit(this.events.REBALANCING, {});
  }
}

function supervise(leaveGroup: SupervisorHooks['leaveGroup'] = () => Promise.resolve(true)) {
  const consumer = new ConsumerEvents();
  const consuming: number[] = [];
  const supervisor = new ConsumerSupervisor(consumer as unknown as Consumer, {
    onConsumingChanged: (partitions) => consuming.push(partitions),
    onJoined: () => undefined,
    onAssignmentEnding: () => undefined,
    leaveGroup,
    onCrashed: () => undefined,
    onUnrecoverable: () => undefined,
  });
  let runs = 0;
  supervisor.start(() => {
    runs += 1;
    return Promise.resolve();
  });
  return { consumer, supervisor, runs: () => runs, consuming };
}

describe('ConsumerSupervisor', () => {
  it('starts a crashed consumer again within a second, restarting until it is a member', async () => {
    const { consumer, supervisor, runs } = supervise();
    expect(supervisor.state()).toMatchObject({ status: 'starting', joins: 0 });
    consumer.joined('member-1');
    expect(supervisor.state()).toMatchObject({ status: 'connected', assignedPartitions: 2 });

    consumer.crashed('Connection error: connect ECONNREFUSED');
    expect(supervisor.state()).toMatchObject({
      status: 'restarting',
      assignedPartitions: 0,
      lastError: 'Error: Connection error: connect ECONNREFUSED',
    });
    await sleep(300); // past the first restart delay, 250 ms
    expect(runs()).toBe(2);
    // A restart that fails again is still a restart under way, not a consumer stopped for good.
    consumer.crashed('Connection error: connect ECONNREFUSED');
    expect(supervisor.state().status).toBe('restarting');
    await sleep(550); // past the second, 500 ms
    expect(runs()).toBe(3);
    consumer.joined('member-2');
    expect(supervisor.state()).toMatchObject({ status: 'connected', restarts: 2, lastError: null });
    supervisor.stop();
  });

  it('asks the group to drop the member it was, until the broker answers', async () => {
    const asked: string[] = [];
    const { consumer, supervisor } = supervise((_, memberId) => {
      asked.push(memberId);
      return Promise.resolve(asked.length >= 2);
    });
    consumer.joined('member-1');
    consumer.crashed('No broker available');
    await sleep(1100); // past one retry, LEAVE_RETRY_MS (1 s) after the first ask
    expect(asked).toEqual(['member-1', 'member-1']);
    supervisor.stop();
  });

  it('reports the partitions it consumes: its assignment while a member, none otherwise', () => {
    const { consumer, supervisor, consuming } = supervise();
    consumer.joined('member-1');
    consumer.emit(consumer.events.HEARTBEAT, {});
    consumer.rebalancing();
    consumer.joined('member-1');
    consumer.crashed('Connection error: connect ECONNREFUSED');
    supervisor.stop();
    expect(consuming).toEqual([2, 0, 2, 0]);
  });

  it('restarts nothing once the app shuts down', async () => {
    const { consumer, supervisor, runs } = supervise();
    consumer.joined('member-1');
    supervisor.stop();
    consumer.crashed('The group is rebalancing');
    await sleep(300); // a fixed wait, past the first restart delay: no restart may come
    expect(runs()).toBe(1);
    expect(supervisor.state().status).toBe('disconnected');
  });
});
