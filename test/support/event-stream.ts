/** One Server-Sent Event as a browser's EventSource would see it. */
export interface StreamEvent {
  type: string;
  data: unknown;
}

/** An open `text/event-stream` response, read the way EventSource reads it. */
export class EventStream {
  readonly events: StreamEvent[] = [];
  /** The body of a response that is not a stream (an error), else null. */
  errorBody: unknown = null;
  /** The reconnection delay the server advised (`retry:`), once it has. */
  retryMs: number | null = null;
  /** Whether the server ended the stream (not our own close). */
  endedByServer = false;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly status: number,
    readonly contentType: string | null,
    private readonly controller: AbortController,
    readonly retryAfter: string | null = null,
  ) {}

  static async open(url: string, headers: Record<string, string>): Promise<EventStream> {
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    const stream = new EventStream(
      response.status,
      response.headers.get('content-type'),
      controller,
      response.headers.get('retry-after'),
    );
    if (response.ok && response.body) void stream.read(response.body);
    else stream.errorBody = await response.json();
    return stream;
  }

  /** Resolves with the first event of `type`, waiting up to `timeoutMs` for it. */
  async next(type: string, timeoutMs = 5000): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((event) => event.type === type);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `No "${type}" event within ${timeoutMs} ms; saw ${JSON.stringify(this.events)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.controller.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      this.endedByServer = true;
    } catch {
      // Aborted by close(): the stream simply ends.
    }
  }

  private parse(block: string): void {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      else if (line.startsWith('retry:')) this.retryMs = Number(line.slice(6).trim());
    }
    if (data.length === 0) return;
    const text = data.join('\n');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Plain-text data stays a string.
    }
    this.events.push({ type, data: parsed });
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((wake) => wake());
  }
}
