import { readdir, readFile } from 'node:fs/promises';

/** Linux's clock tick for /proc/<pid>/stat times (`getconf CLK_TCK`), 100 on every common build. */
const TICKS_PER_SECOND = 100;

/** CPU seconds spent by each party of the machine: the app, PostgreSQL, Kafka, the load generator. */
export type CpuSplit = Record<string, number>;

/** Who to count: named pids, every process with a given command name, and this process. */
export interface CpuParties {
  pids: Record<string, number[]>;
  /** e.g. { postgres: 'postgres' }: every backend, whichever connection it serves. */
  commands: Record<string, string>;
  /** The party this process (the load generator) is counted as. */
  self: string;
}

interface Reading {
  /** utime + stime per pid counted. */
  ticks: Map<number, number>;
  commandPids: [string, number][];
  selfMicros: number;
}

/** CPU seconds between `start()` and `stop()`, per party (/proc/<pid>/stat utime + stime). */
export function cpuMeter(parties: CpuParties): { stop: () => Promise<CpuSplit> } {
  const started = read(parties);
  return {
    stop: async () => {
      const before = await started;
      const after = await read(parties);
      const split: CpuSplit = {};
      const spent = (pid: number) =>
        ((after.ticks.get(pid) ?? 0) - (before.ticks.get(pid) ?? 0)) / TICKS_PER_SECOND;
      for (const [party, pids] of Object.entries(parties.pids)) {
        split[party] = pids.reduce((sum, pid) => sum + spent(pid), 0);
      }
      for (const [party, pid] of after.commandPids) {
        // A backend that started during the step counts from zero; one that ended is missed.
        split[party] = (split[party] ?? 0) + Math.max(0, spent(pid));
      }
      split[parties.self] = (after.selfMicros - before.selfMicros) / 1e6;
      return split;
    },
  };
}

async function read(parties: CpuParties): Promise<Reading> {
  const selfUsage = process.cpuUsage();
  const ticks = new Map<number, number>();
  const commandPids: [string, number][] = [];
  const wanted = new Map(Object.entries(parties.commands).map(([party, cmd]) => [cmd, party]));
  const named = new Set(Object.values(parties.pids).flat());
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = await statOf(pid);
    if (!stat) continue;
    const party = wanted.get(stat.command);
    if (party) commandPids.push([party, pid]);
    if (party || named.has(pid)) ticks.set(pid, stat.ticks);
  }
  return { ticks, commandPids, selfMicros: selfUsage.user + selfUsage.system };
}

/** Fields 14 and 15 of /proc/<pid>/stat (utime, stime); the command may hold spaces. */
async function statOf(pid: number): Promise<{ command: string; ticks: number } | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const command = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is field 3 (state), so field n is fields[n - 3]
    return { command, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}
