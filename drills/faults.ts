import { setTimeout as sleep } from 'node:timers/promises';
import { EventStream } from '../test/support/event-stream';
import { KafkaBroker } from '../test/support/kafka-broker';
import { Fleet } from './fleet';
import type { DrillResult } from './run-drill';
import { PostgresCluster } from './postgres-cluster';
import { Arrival } from './steady-load';

/** What a fault may touch, and how it reports. */
export interface FaultContext {
  fleet: Fleet;
  broker: KafkaBroker;
  cluster: PostgresCluster;
  setMode(mode: 'sync' | 'async'): Promise<void>;
  log(line: string): void;
  /** 1 for the full drill; smaller for a short run (the test of the command). */
  scale: number;
}

/** What the fault did: its window in epoch milliseconds, and figures of its own. */
export interface FaultWindow {
  startedAt: number;
  endedAt: number;
  notes: Record<string, number | string | null>;
}

/** A fault as the seed's team drilled it against production, here on loopback. */
export interface Fault {
  name: string;
  /** One line: what is done to the fleet. */
  summary: string;
  mode: 'sync' | 'async';
  /** What the fleet must show under this fault (besides every invariant at 0). */
  aim: Aim;
  inject(context: FaultContext): Promise<FaultWindow>;
  /** Optional: sees every accepted order while the load runs (streams follow them). */
  watch?: FaultWatcher;
}

export interface Aim {
  text: string;
  met(result: DrillResult): boolean;
}

export interface FaultWatcher {
  accepted(arrival: Arrival, context: FaultContext): void;
  /** Figures of its own once the load has stopped and every order is final. */
  settle(decidedAt: Map<string, number>): Promise<Record<string, number | string | null>>;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** Stops a dependency, keeps it down for `downMs` from the stop, and starts it again. */
async function takeDown(
  what: string,
  dependency: { stop(): Promise<void>; start(): Promise<void> },
  downMs: number,
  log: (line: string) => void,
): Promise<FaultWindow> {
  const startedAt = Date.now();
  await dependency.stop();
  log(`${what} stopped; down for ${downMs / 1000} s`);
  await sleep(Math.max(0, startedAt + downMs - Date.now()));
  await dependency.start();
  log(`${what} started again`);
  return { startedAt, endedAt: Date.now(), notes: { downSeconds: downMs / 1000 } };
}

const workerKill: Fault = {
  name: 'worker-kill',
  summary:
    '`kill -9` of worker-1 under load; it is started again at once, as an orchestrator would',
  mode: 'async',
  aim: {
    text: 'payments move again within 10 s of the kill',
    met: (r) => r.outageSeconds <= 10 && r.allFinalAfterFaultSeconds !== null,
  },
  async inject({ fleet, log }) {
    const startedAt = Date.now();
    await fleet.kill('worker-1');
    log('worker-1 killed (SIGKILL); starting it again');
    await fleet.restart('worker-1');
    const endedAt = Date.now();
    return { startedAt, endedAt, notes: { replacementReadySeconds: seconds(endedAt - startedAt) } };
  },
};

const workerRollingRestart: Fault = {
  name: 'worker-rolling-restart',
  summary: 'SIGTERM each worker in turn, wait for it to drain and exit, start it again',
  mode: 'async',
  aim: {
    text: 'no gap in payments over 2 s',
    met: (r) => r.outageSeconds <= 2,
  },
  async inject({ fleet, log }) {
    const startedAt = Date.now();
    const notes: FaultWindow['notes'] = {};
    for (const { name } of fleet.workers) {
      const stopping = Date.now();
      const graceful = await fleet.stop(name);
      notes[`${name}StopSeconds`] = seconds(Date.now() - stopping);
      if (!graceful) notes[`${name}Stop`] = 'killed after its grace';
      const starting = Date.now();
      await fleet.restart(name);
      notes[`${name}ReadySeconds`] = seconds(Date.now() - starting);
      log(`${name} restarted`);
    }
    return { startedAt, endedAt: Date.now(), notes };
  },
};

const brokerStop: Fault = {
  name: 'broker-stop',
  summary: 'stop the Kafka broker (controlled shutdown), keep it down, start it again',
  mode: 'async',
  aim: {
    text: "payments resume within 5 s of the broker's return",
    met: (r) =>
      r.paymentsResumedAfterFaultSeconds !== null && r.paymentsResumedAfterFaultSeconds <= 5,
  },
  inject: ({ broker, log, scale }) => takeDown('the broker', broker, 20_000 * scale, log),
};

const postgresStop: Fault = {
  name: 'postgres-stop',
  summary: 'stop PostgreSQL (fast shutdown: connections cut) under sync load, start it again',
  mode: 'sync',
  aim: {
    text: "every answer during the outage a 503 or a success; every order final within 15 s of the database's return",
    met: (r) =>
      Object.keys(r.answersDuringFault).every(
        (status) => status === '503' || status.startsWith('2'),
      ) &&
      r.allFinalAfterFaultSeconds !== null &&
      r.allFinalAfterFaultSeconds <= 15,
  },
  inject: ({ cluster, log, scale }) => takeDown('PostgreSQL', cluster, 12_000 * scale, log),
};

const modeFlips: Fault = {
  name: 'mode-flips',
  summary: 'an admin flips the checkout mode between sync and async every 2 s',
  mode: 'async',
  aim: {
    text: 'every shopper answered with a success, whatever the mode',
    met: (r) => Object.keys(r.answers).every((status) => status.startsWith('2')),
  },
  async inject({ setMode, scale }) {
    const flips = Math.max(2, Math.round(10 * scale));
    const startedAt = Date.now();
    for (let flip = 0; flip < flips; flip++) {
      await setMode(flip % 2 === 0 ? 'sync' : 'async');
      await sleep(Math.max(0, startedAt + (flip + 1) * 2000 - Date.now()));
    }
    await setMode('async');
    return { startedAt, endedAt: Date.now(), notes: { flips } };
  },
};

/**
 * Shoppers whose orders one API instance accepted follow them on the other instance, as a
 * load balancer without sticky sessions sends them; each stream should get the order's result.
 */
function streamsElsewhere(): Fault {
  const followed: {
    orderId: string;
    stream: Promise<EventStream>;
    resultAt: number | null;
    /** The stream opened after the decision: its first `status` already told the result. */
    knownAtOpen: boolean;
  }[] = [];
  let windowOpen = false;
  const MAX_STREAMS = 60;
  return {
    name: 'streams-elsewhere',
    summary: 'shoppers follow their async orders on the API instance that did not accept them',
    mode: 'async',
    aim: {
      text: 'every stream, on either instance, gets the result within 1 s of the decision',
      met: (r) => r.notes.streamsOpened !== 0 && r.notes.resultWithin1s === r.notes.streamsOpened,
    },
    async inject({ scale }) {
      const startedAt = Date.now();
      windowOpen = true;
      await sleep(20_000 * scale);
      windowOpen = false;
      return { startedAt, endedAt: Date.now(), notes: {} };
    },
    watch: {
      accepted(arrival, { fleet }) {
        if (!windowOpen || !arrival.orderId || followed.length >= MAX_STREAMS) return;
        const other = fleet.apis.find((api) => !arrival.url.startsWith(api.app.url));
        if (!other) return;
        const entry = {
          orderId: arrival.orderId,
          resultAt: null as number | null,
          knownAtOpen: false,
          stream: EventStream.open(`${other.app.url}/orders/${arrival.orderId}/events`, {
            'x-user-id': arrival.shopper,
            accept: 'text/event-stream',
          }),
        };
        followed.push(entry);
        void entry.stream.then(async (stream) => {
          const status = await stream.next('status', 20_000).catch(() => null);
          const final = (status?.data as { status?: string } | undefined)?.status;
          if (final && final !== 'PENDING_PAYMENT') {
            entry.resultAt = Date.now();
            entry.knownAtOpen = true;
            return;
          }
          await stream.next('result', 30_000).then(
            () => (entry.resultAt = Date.now()),
            () => undefined,
          );
        });
      },
      async settle(decidedAt) {
        await sleep(5000);
        const streams = await Promise.all(followed.map((entry) => entry.stream));
        streams.forEach((stream) => stream.close());
        const delays = followed
          .filter((entry) => entry.resultAt !== null && decidedAt.has(entry.orderId))
          .map((entry) => Math.max(0, entry.resultAt! - decidedAt.get(entry.orderId)!))
          .sort((a, b) => a - b);
        return {
          streamsOpened: followed.length,
          streamsWithResult: delays.length,
          resultKnownAtOpen: followed.filter((entry) => entry.knownAtOpen).length,
          resultWithin1s: delays.filter((delay) => delay <= 1000).length,
          medianResultDelayMs: delays.length ? Math.round(delays[delays.length >> 1]) : null,
        };
      },
    },
  };
}

/** The drills in the order the full run takes them; each can also be run by name. */
export function allFaults(): Fault[] {
  return [
    workerKill,
    workerRollingRestart,
    brokerStop,
    postgresStop,
    modeFlips,
    streamsElsewhere(),
  ];
}
