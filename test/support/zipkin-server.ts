import { serverScript } from './server-script';

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
    await serverScript('zipkin.sh', 'start', { ZIPKIN_PORT: String(this.port) });
  }

  async stop(): Promise<void> {
    await serverScript('zipkin.sh', 'stop', { ZIPKIN_PORT: String(this.port) });
  }

  /** The spans Zipkin holds of one trace (none yet: an empty list). */
  async trace(traceId: string): Promise<ZipkinSpan[]> {
    const answer = await fetch(`${this.url}/api/v2/trace/${traceId}`);
    if (answer.status === 404) return [];
    if (!answer.ok) throw new Error(`Zipkin answered ${answer.status} for trace ${traceId}`);
    return (await answer.json()) as ZipkinSpan[];
  }
}
