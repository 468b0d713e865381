import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/app-process';

const ROOT = join(__dirname, '..');

interface DrillRun {
  code: number | null;
  output: string;
}

function drill(args: string[], env: Record<string, string>): Promise<DrillRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(ROOT, 'drills', 'drill.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 5 * 60_000, maxBuffer: 2 ** 24 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          output: stdout + stderr,
        }),
    );
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm run drill', () => {
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'peak-drill-test-'));
  });

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('runs one drill by name end to end, writes its figures and picture, and stops what it started', async () => {
    const kafkaPort = await freePort();
    const logs = join(out, 'logs');
    const run = await drill(['worker-kill', '--short', '--out', out, '--logs', logs], {
      DRILL_KAFKA_PORT: String(kafkaPort),
    });
    expect({ code: run.code, tail: run.output.slice(-3000) }).toEqual({
      code: 0,
      tail: expect.any(String),
    });

    const report = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
      command: string;
      machine: { cpus: number };
      drills: {
        drill: string;
        faultSeconds: number;
        outageSeconds: number;
        allFinalAfterFaultSeconds: number | null;
        answersDuringFault: Record<string, number>;
        orders: { accepted: number; paid: number };
        invariants: Record<string, number>;
        paymentsPerSecond: number[];
      }[];
    };
    expect(report.command).toBe(`npm run drill -- worker-kill --short --out ${out} --logs ${logs}`);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.drills.map((d) => d.drill)).toEqual(['worker-kill']);
    const [result] = report.drills;
    expect(result.orders.accepted).toBeGreaterThan(10);
    expect(result.orders.paid).toBe(result.orders.accepted);
    expect(result.faultSeconds).toBeGreaterThan(0);
    expect(result.allFinalAfterFaultSeconds).not.toBeNull();
    expect(Object.keys(result.answersDuringFault).length).toBeGreaterThan(0);
    expect(result.invariants).toEqual({
      acceptedOrdersLost: 0,
      ordersChargedTwice: 0,
      unitsOversold: 0,
      chargesBeyondPaidOrders: 0,
    });
    expect(result.paymentsPerSecond.reduce((a, b) => a + b, 0)).toBe(result.orders.paid);

    expect(await readFile(join(out, 'results.md'), 'utf8')).toContain('| worker-kill | async |');
    expect(existsSync(join(out, 'worker-kill.svg'))).toBe(true);
    expect(await readFile(join(out, 'worker-kill.svg'), 'utf8')).toContain('<rect');

    // Each instance's output, the killed worker's two lives in turn: what a drill saw go wrong.
    const worker = await readFile(join(logs, 'worker-1.log'), 'utf8');
    expect(worker.match(/^# worker-1, pid \d+, .+ at /gm)).toEqual([
      expect.stringContaining('killed (SIGKILL)'),
      expect.stringContaining('stopped (SIGTERM)'),
    ]);
    for (const name of ['api-1', 'api-2', 'worker-2']) {
      expect(await readFile(join(logs, `${name}.log`), 'utf8')).toMatch(/^# .+stopped \(SIGTERM\)/);
    }

    const postgresPort = Number(/PostgreSQL on 127\.0\.0\.1:(\d+)/.exec(run.output)?.[1]);
    expect(postgresPort).toBeGreaterThan(0);
    expect(await listening(kafkaPort)).toBe(false);
    expect(await listening(postgresPort)).toBe(false);
  }, 300_000);

  it('refuses an unknown drill, naming the ones there are', async () => {
    const run = await drill(['server-melts'], {});
    expect(run.code).toBe(64);
    expect(run.output).toContain('Unknown drill or option "server-melts"');
    expect(run.output).toContain('worker-kill');
  });
});
