import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const BUILT_SIMULATOR = join(__dirname, '..', 'dist', 'gateway-simulator', 'main.js');

/** The payment gateway simulator as its own HTTP service (`npm run gateway:simulator`). */
export class GatewaySimulatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(
    port: number,
    knobs: Record<string, string>,
  ): Promise<GatewaySimulatorProcess> {
    if (!existsSync(BUILT_SIMULATOR)) {
      throw new Error(`${BUILT_SIMULATOR} is missing: run "npm run build" first.`);
    }
    const child = spawn(process.execPath, [BUILT_SIMULATOR], {
      env: { PATH: process.env.PATH ?? '', GATEWAY_SIMULATOR_PORT: String(port), ...knobs },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const simulator = new GatewaySimulatorProcess(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error('the gateway simulator exited at start');
      try {
        if ((await fetch(`${simulator.url}/health`)).ok) return simulator;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error('the gateway simulator did not answer within 30 s');
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
