import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2E_DATABASE_ENV, E2E_KAFKA_ENV } from './database-url';
import { waitFor } from './wait-for';

export const BUILT_SERVER = join(__dirname, '..', '..', 'dist', 'main.js');

/** The INTERNAL_SECRET the tests' instances share, unless a test gives its own. */
export const TEST_INTERNAL_SECRET = 'shared-internal-secret-for-tests';

/**
 * A worker process's environment: the tests' PostgreSQL and broker, the topics of `prefix`, the
 * fleet's secret and a fast simulated gateway; `env` adds to it or overrides it.
 */
export function workerEnvironment(
  prefix: string,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: process.env[E2E_DATABASE_ENV]!,
    KAFKA_BROKERS: process.env[E2E_KAFKA_ENV]!,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '3',
    APP_ROLES: 'worker',
    INTERNAL_SECRET: TEST_INTERNAL_SECRET,
    GATEWAY_LATENCY_MS: '5',
    SEED_DEMO_CATALOGUE: 'false',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/**
 * Node's flags for the server, as `npm start` and the Dockerfile give them: young objects get 64 MB
 * semi-spaces, not 16, so a busy worker spends half the CPU it did collecting garbage.
 */
const SERVER_NODE_ARGS = ['--max-semi-space-size=64'];

/** The built server (dist/main.js) running as its own process, as an operator runs it. */
export class AppProcess {
  readonly output: string[] = [];
  private exited: Promise<{ code: number | null; signal: string | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => this.output.push(line));
    }
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /**
   * With Kafka, the instance gets the tests' shared INTERNAL_SECRET and, on a port of its own,
   * the PUBLIC_URL workers call it back at, unless `env` gives them.
   */
  static start(env: Record<string, string>, port = 0, nodeArgs: string[] = []): AppProcess {
    if (!existsSync(BUILT_SERVER)) {
      throw new Error(`${BUILT_SERVER} is missing: run "npm run build" first (npm test does).`);
    }
    const child = spawn(process.execPath, [...SERVER_NODE_ARGS, ...nodeArgs, BUILT_SERVER], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        ...(env.KAFKA_BROKERS ? fleetOf(port) : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(child, `http://127.0.0.1:${port}`);
  }

  /** Waits until the process answers ready, or fails with what it printed. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${this.url}/health/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`Not ready within ${timeoutMs} ms:\n${this.output.join('\n')}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async exitCode(): Promise<number | null> {
    return (await this.exited).code;
  }

  /**
   * Sends SIGTERM and waits; true when the process shut down on it rather than crashing. One
   * still running after `killAfterMs` is killed (and the answer is false).
   */
  async stop(killAfterMs = 60_000): Promise<boolean> {
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    const { code, signal } = await this.exited;
    clearTimeout(killer);
    return code === 0 || signal === 'SIGTERM';
  }

  /** Waits until the JSON log lines printed satisfy `enough`, then returns them. */
  async logLinesUntil(
    enough: (lines: Record<string, unknown>[]) => boolean,
    timeoutMs = 5000,
  ): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (!enough(this.logLines()) && Date.now() < deadline) await sleep(50);
    return this.logLines();
  }

  /** Waits until a line printed satisfies `wanted`, then returns it. */
  outputUntil(wanted: (line: string) => boolean, timeoutMs = 5000): Promise<string> {
    return waitFor('a line printed', () => Promise.resolve(this.output.find(wanted)), {
      timeoutMs,
      intervalMs: 50,
    });
  }

  /** The JSON log lines printed so far. */
  logLines(): Record<string, unknown>[] {
    return this.output.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }
}

function fleetOf(port: number): Record<string, string> {
  return {
    INTERNAL_SECRET: TEST_INTERNAL_SECRET,
    ...(port === 0 ? {} : { PUBLIC_URL: `http://127.0.0.1:${port}` }),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
