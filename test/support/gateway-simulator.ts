import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BUILT_SIMULATOR = join(__dirname, '..', '..', 'dist', 'gateway-simulator', 'main.js');

/** The service's ledger, as `GET /ledger` answers it. */
export interface ServiceLedger {
  calls: number;
  inFlight: number;
  peakInFlight: number;
  charges: number;
  keysChargedMoreThanOnce: string[];
  lostResponses: number;
  voids: number;
}

/** What became of one idempotency key, as `GET /authorizations/{key}` answers it. */
export interface KeyRecord {
  charges: number;
  voided: boolean;
  answer: { status: string } | null;
}

/**
 * The payment gateway simulator's service (dist/gateway-simulator/main.js) running as its own
 * process, as `npm run gateway:simulator` runs it, on a free port.
 */
export class GatewaySimulatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<GatewaySimulatorProcess> {
    if (!existsSync(BUILT_SIMULATOR)) {
      throw new Error(`${BUILT_SIMULATOR} is missing: run "npm run build" first (npm test does).`);
    }
    const child = spawn(process.execPath, [BUILT_SIMULATOR], {
      env: { PATH: process.env.PATH ?? '', GATEWAY_SIMULATOR_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`No URL within 10 s:\n${output.join('\n')}`)),
        10_000,
      );
      createInterface({ input: child.stdout }).on('line', (line) => {
        output.push(line);
        const listening = /listening on (http:\/\/\S+)/.exec(line);
        if (listening) {
          clearTimeout(timer);
          resolve(listening[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The simulator exited with ${code}:\n${output.join('\n')}`));
      });
    });
    return new GatewaySimulatorProcess(child, url);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async ledger(): Promise<ServiceLedger> {
    return (await this.json('GET', '/ledger')) as ServiceLedger;
  }

  /** What the gateway holds for one key (an order id, or `<id>/<attempt>`). */
  async key(idempotencyKey: string): Promise<KeyRecord> {
    return (await this.json(
      'GET',
      `/authorizations/${encodeURIComponent(idempotencyKey)}`,
    )) as KeyRecord;
  }

  async tune(knobs: Record<string, number>): Promise<void> {
    await this.json('PATCH', '/knobs', knobs);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private async json(method: string, path: string, body?: object): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  }
}
