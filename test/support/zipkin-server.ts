import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'zipkin.sh');

/** One span as Zipkin's API v2 answers it (names lower-cased by Zipkin). */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

/** A Zipkin server of the tests' own, run by scripts/zipkin.sh on a loopback port. */
export class ZipkinServer {
  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where an app sends its spans (OTEL_EXPORTER_ZIPKIN_ENDPOINT). */
  get spansEndpoint(): string {
    return `${this.url}/api/v2/spans`;
  }

  async start(): Promise<void> {
    await this.script('start');
  }

  async stop(): Promise<void> {
    await this.script('stop');
  }

  /** The spans Zipkin holds of one trace (none yet: an empty list). */
  async trace(traceId: string): Promise<ZipkinSpan[]> {
    const answer = await fetch(`${this.url}/api/v2/trace/${traceId}`);
    if (answer.status === 404) return [];
    if (!answer.ok) throw new Error(`Zipkin answered ${answer.status} for trace ${traceId}`);
    return (await answer.json()) as ZipkinSpan[];
  }

  private async script(command: 'start' | 'stop'): Promise<void> {
    const env = { ...process.env, ZIPKIN_PORT: String(this.port) };
    try {
      await run('bash', [SCRIPT, command], { env, timeout: 180_000 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`scripts/zipkin.sh ${command} failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  }
}
