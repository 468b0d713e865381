import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'kafka.sh');

/** A Kafka broker of the tests' own, run by scripts/kafka.sh on a loopback port. */
export class KafkaBroker {
  constructor(
    readonly port: number,
    private readonly dir?: string,
  ) {}

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.script('start');
  }

  async stop(): Promise<void> {
    await this.script('stop');
  }

  private async script(command: 'start' | 'stop'): Promise<void> {
    const env = {
      ...process.env,
      KAFKA_PORT: String(this.port),
      ...(this.dir ? { KAFKA_DIR: this.dir } : {}),
    };
    try {
      await run('bash', [SCRIPT, command], { env, timeout: 180_000 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`scripts/kafka.sh ${command} failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  }
}
