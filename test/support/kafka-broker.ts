import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from './app-process';
import { serverScript } from './server-script';

const DEFAULT_DIR = join(__dirname, '..', '..', '.kafka');

/** A Kafka broker of the tests' own, run by scripts/kafka.sh on a loopback port. */
export class KafkaBroker {
  constructor(
    readonly port: number,
    private readonly dir?: string,
  ) {}

  /**
   * A broker not started yet, on a free port whose next port (its controller's) is free too,
   * keeping its data in `dir`.
   */
  static async onFreePorts(dir: string): Promise<KafkaBroker> {
    for (;;) {
      const port = await freePort();
      if (await isFree(port + 1)) return new KafkaBroker(port, dir);
    }
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.script('start');
  }

  async stop(): Promise<void> {
    await this.script('stop');
  }

  /** What the broker logged (warnings, and the lines that name its version and say it is up). */
  async log(): Promise<string> {
    return readFile(
      join(this.dir ?? join(DEFAULT_DIR, `broker-${this.port}`), 'broker.log'),
      'utf8',
    );
  }

  private async script(command: 'start' | 'stop'): Promise<void> {
    await serverScript('kafka.sh', command, {
      KAFKA_PORT: String(this.port),
      ...(this.dir ? { KAFKA_DIR: this.dir } : {}),
    });
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
