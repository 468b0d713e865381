import { SimulatedPaymentGateway } from '../src/modules/payment';
import { Shopper } from './support/shopper';
import { waitFor } from './support/wait-for';
import {
  ADMIN_TOKEN,
  finalOrder,
  newProduct,
  newShopper,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface ModeBody {
  mode: string;
  effective: string;
  history: { from: string; to: string; changedBy: string; reason: string }[];
}

describe('auto mode: async when the sync path nears its limit, sync again once calm', () => {
  let app: TestApp;
  const gateway = () => app.app.get(SimulatedPaymentGateway);

  beforeAll(async () => {
    app = await startApp({
      AUTO_ASYNC_ABOVE_LATENCY_MS: '200',
      AUTO_SYNC_BELOW_LATENCY_MS: '50',
      AUTO_HOLD_MS: '1500',
      AUTO_LATENCY_WINDOW_MS: '1000',
      AUTO_SAMPLE_MS: '50',
    });
  });
  afterAll(() => app.close());

  const modeView = async (): Promise<ModeBody> =>
    (await app.http().get('/admin/mode').set(admin)).body as ModeBody;

  const effectiveBecomes = (mode: string, timeoutMs: number): Promise<ModeBody> =>
    waitFor(
      `effective mode ${mode}`,
      async () => {
        const view = await modeView();
        return view.effective === mode ? view : undefined;
      },
      { timeoutMs, intervalMs: 50 },
    );

  const buy = async () => {
    const shopper = new Shopper(app, newShopper());
    const placed = await shopper.buy(await newProduct(app.db, { stock: 1 }));
    return { shopper, placed };
  };

  it('switches to async when the gateway slows, then back to sync, auditing both', async () => {
    await switchMode(app, 'auto');
    expect(await modeView()).toMatchObject({ mode: 'auto', effective: 'sync' });
    expect((await buy()).placed.status).toBe(201);

    gateway().tune({ latencyMs: 400 });
    const slow = await buy();
    expect([slow.placed.status, slow.placed.body.mode]).toEqual([201, 'sync']);
    const switched = await effectiveBecomes('async', 2000);
    expect(switched.history[0]).toMatchObject({
      from: 'sync',
      to: 'async',
      changedBy: expect.stringMatching(/^auto@/),
      reason: expect.stringMatching(/^gateway p95 \d+ ms, over 200 ms$/),
    });
    const during = await buy();
    expect([during.placed.status, during.placed.body.mode]).toEqual([202, 'async']);

    gateway().tune({ latencyMs: 5 });
    expect((await finalOrder(app, during.shopper.id, during.placed.body.id as string)).status).toBe(
      'PAID',
    );
    const back = await effectiveBecomes('sync', 6000);
    expect(back.mode).toBe('auto');
    expect(back.history[0]).toMatchObject({ from: 'async', to: 'sync' });
    expect(back.history[0].changedBy).toMatch(/^auto@/);
    const after = await buy();
    expect([after.placed.status, after.placed.body.mode]).toEqual([201, 'sync']);
  });
});
