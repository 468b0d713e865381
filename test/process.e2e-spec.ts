import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { AppProcess, BUILT_SERVER, freePort } from './support/app-process';

const shopper = { 'X-User-Id': 'process-shopper', 'Content-Type': 'application/json' };

describe('the built server as a process (dist/main.js)', () => {
  it('refuses to boot on a bad setting, naming the variable', async () => {
    const app = AppProcess.start({ PORT: 'eighty', GATEWAY_TRANSIENT_FAILURE_RATE: '3' });
    expect(await app.exitCode()).toBe(78);
    const printed = app.output.join('\n');
    expect(printed).toContain('PORT="eighty"');
    expect(printed).toContain('GATEWAY_TRANSIENT_FAILURE_RATE="3"');
  });

  it('migrates a database with npm run db:migrate, and finds nothing to do the second time', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'peak-checkout-migrate-'));
    try {
      const migrate = () =>
        execFileSync(process.execPath, [join(BUILT_SERVER, '..', 'database', 'migrate.js')], {
          env: { PATH: process.env.PATH ?? '', PGLITE_DATA_DIR: dataDir },
          encoding: 'utf8',
        });
      expect(migrate()).toMatch(/^Applied \d+ migration\(s\): CreateMessagingInbox1764057600000, /);
      expect(migrate()).toBe('Schema is up to date.\n');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('logs one readable line per event with LOG_FORMAT=pretty, the trace id on it', async () => {
    const port = await freePort();
    const app = AppProcess.start({ LOG_FORMAT: 'pretty' }, port);
    try {
      await app.ready();
      const answer = await fetch(`${app.url}/products?token=secret`);
      const traceId = answer.headers.get('x-trace-id')!;
      const completed = await app.outputUntil((line) => line.includes(traceId));
      expect(completed).toMatch(
        new RegExp(
          `^\\[[\\d:.]+\\] INFO: request completed GET /products\\?token=\\[Redacted\\] 200 .*"traceId":"${traceId}"`,
        ),
      );
      const events = app.output.filter((line) => /^\[[\d:.]+\] [A-Z]+: /.test(line));
      expect(events.length).toBeGreaterThan(5);
      expect(app.output.filter((line) => line.startsWith('{'))).toEqual([]);
    } finally {
      await app.stop();
    }
  });

  describe('on the embedded defaults, with data kept in a folder', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'peak-checkout-data-'));
    let app: AppProcess;
    let port: number;
    let orderId: string;

    beforeAll(async () => {
      port = await freePort();
      app = AppProcess.start({ PGLITE_DATA_DIR: dataDir, GATEWAY_LATENCY_MS: '5' }, port);
      await app.ready();
    });

    afterAll(async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('sells from the demo catalogue with no database server', async () => {
      await fetch(`${app.url}/cart/items`, {
        method: 'POST',
        headers: shopper,
        body: JSON.stringify({ sku: 'CAP-LOGO', quantity: 1 }),
      });
      const placed = await fetch(`${app.url}/orders`, {
        method: 'POST',
        headers: { ...shopper, 'Idempotency-Key': 'process-order-1' },
        body: JSON.stringify({ paymentToken: 'tok_visa' }),
      });
      const order = (await placed.json()) as { id: string; status: string };
      expect([placed.status, order.status]).toEqual([201, 'PAID']);
      orderId = order.id;
    });

    it('logs JSON lines that carry the order id and the trace id', async () => {
      const ofOrder = (lines: Record<string, unknown>[]) =>
        lines.filter((line) => line.orderId === orderId);
      const lines = ofOrder(
        await app.logLinesUntil((all) =>
          ofOrder(all).some((line) => line.msg === 'request completed'),
        ),
      );
      const messages = lines.map((line) => line.msg);
      expect(messages).toEqual(
        expect.arrayContaining([
          'order placed',
          'payment settled',
          'order settled',
          'request completed',
        ]),
      );
      const traces = new Set(lines.map((line) => line.traceId));
      expect(traces.size).toBe(1);
      expect([...traces][0]).toEqual(expect.any(String));
    });

    it('keeps the data across a restart', async () => {
      expect(await app.stop()).toBe(true);
      app = AppProcess.start({ PGLITE_DATA_DIR: dataDir }, port);
      await app.ready();
      const order = await fetch(`${app.url}/orders/${orderId}`, { headers: shopper });
      expect(order.status).toBe(200);
      expect(((await order.json()) as { status: string }).status).toBe('PAID');
    });
  });
});
