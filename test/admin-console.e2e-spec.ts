import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { freePort } from './support/app-process';
import { GatewayGuard, SimulatedPaymentGateway } from '../src/modules/payment';
import { launchChromium } from './support/browser';
import { loseRecords } from './support/kafka-records';
import { Shopper } from './support/shopper';
import {
  ADMIN_TOKEN,
  adminToken,
  newProduct,
  newShopper,
  newTopicPrefix,
  startApp,
  TestApp,
} from './support/test-app';
import { waitFor } from './support/wait-for';

const SCREENSHOTS = join(__dirname, '..', 'test-output');
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const prefix = newTopicPrefix();

/**
 * An API-only instance: its async orders wait in Kafka for a worker that never comes, so
 * each becomes a stuck order at once (1 s loss window): late while its request waits on the
 * topic, lost (and, with no re-drive allowed, flagged) once the request is lost from it.
 */
function apiOnly(env: Record<string, string> = {}): Promise<TestApp> {
  return startApp({
    APP_ROLES: 'api',
    PUBLIC_URL: 'http://127.0.0.1:9',
    INTERNAL_SECRET: 'shared-internal-secret-for-tests',
    LOSS_WINDOW_MS: '1000',
    WATCHDOG_INTERVAL_MS: '200',
    REDRIVE_LIMIT: '0',
    GATEWAY_CIRCUIT_FAILURES: '3',
    KAFKA_TOPIC_PREFIX: prefix,
    ...env,
  });
}

async function signIn(page: Page, app: TestApp, token = adminToken('ops-alice')): Promise<void> {
  await page.goto(`${app.url}/admin`);
  await page.getByLabel('Admin token or JWT').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const text = async (page: Page, selector: string): Promise<string> =>
  (await page.locator(selector).textContent()) ?? '';

describe('admin console (headless Chromium)', () => {
  let browser: Browser;
  let page: Page;
  let api: TestApp;

  beforeAll(async () => {
    browser = await launchChromium();
    api = await apiOnly();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  });

  afterEach(async () => {
    await page.close();
  });

  it('asks for the token once, refuses a wrong one, and keeps it for the session', async () => {
    await signIn(page, api, 'not-the-admin-token-at-all');
    await page.getByText('That token was refused.').waitFor();
    expect(await page.locator('#console').isHidden()).toBe(true);

    await signIn(page, api);
    await page.getByTestId('mode-state').filter({ hasText: 'Mode sync' }).waitFor();
    await page.getByTestId('signed-in-as').filter({ hasText: 'signed in as ops-alice' }).waitFor();
    await page.reload();
    await page.getByTestId('mode-state').filter({ hasText: 'Mode sync' }).waitFor();
    expect(await page.locator('#sign-in').isHidden()).toBe(true);
  });

  it('switches to async, and the next order is answered 202', async () => {
    await signIn(page, api);
    await page.getByTestId('mode-state').filter({ hasText: 'Mode sync' }).waitFor();
    const shopper = new Shopper(api, newShopper());
    const sku = await newProduct(api.db, { stock: 5 });

    await page.getByRole('button', { name: 'async', exact: true }).click();
    await page.getByText('Switched to async').waitFor();
    await page.getByTestId('mode-state').filter({ hasText: 'Mode async' }).waitFor();

    expect((await shopper.buy(sku)).status).toBe(202);
    const mode = await api.http().get('/admin/mode').set(admin);
    expect(mode.body).toMatchObject({ mode: 'async', setBy: 'ops-alice' });
    expect(mode.body.history[0]).toMatchObject({ changedBy: 'ops-alice', reason: 'admin console' });
    // The figures follow: the order waits for a worker, and the instance reports itself.
    await page.locator('#waiting').filter({ hasNotText: /^0$/ }).waitFor();
    await page.locator('#instances tbody tr').filter({ hasText: 'api' }).first().waitFor();
  });

  it('changes the backpressure limit', async () => {
    await signIn(page, api);
    await page.getByTestId('limit-state').waitFor();
    await page.getByLabel('Authorizations per worker').fill('7');
    await page.getByRole('button', { name: 'Apply limit' }).click();
    await page.getByText('Limit set to 7 by ops-alice.').waitFor();

    const limit = await api.http().get('/admin/backpressure').set(admin);
    expect(limit.body).toMatchObject({ maxInFlight: 7, setBy: 'ops-alice' });
    await page.getByTestId('limit-state').filter({ hasText: 'at most 7 ' }).waitFor();

    // The browser refuses a limit below 1 before anything is sent.
    await page.getByLabel('Authorizations per worker').fill('0');
    await page.getByRole('button', { name: 'Apply limit' }).click();
    expect(await page.locator('#limit:invalid').count()).toBe(1);
    expect((await api.http().get('/admin/backpressure').set(admin)).body.maxInFlight).toBe(7);
  });

  it('shows the sync checkouts, and the gateway circuit open while the gateway fails', async () => {
    await api.http().put('/admin/mode').set(admin).send({ mode: 'sync' }).expect(200);
    await signIn(page, api);
    await page
      .locator('#circuit')
      .filter({ hasText: /^closed$/ })
      .waitFor();
    await page
      .locator('#sync')
      .filter({ hasText: /^0 \/ 32$/ })
      .waitFor();

    const gateway = api.app.get(SimulatedPaymentGateway);
    gateway.tune({ transientFailureRate: 1 });
    try {
      const failed = await new Shopper(api, newShopper()).buy(
        await newProduct(api.db, { stock: 1 }),
      );
      expect(failed.body.status).toBe('PAYMENT_FAILED');
      await page
        .locator('#circuit.attention')
        .filter({ hasText: /^open$/ })
        .waitFor();
      await page
        .locator('#instances tbody tr')
        .filter({ hasText: /0 \/ 32\s*open/ })
        .waitFor();
    } finally {
      gateway.tune({ transientFailureRate: 0 });
    }
  });

  it('shows the limit in force of the workers, down to one while their gateway circuit is open', async () => {
    const worker = await startApp({
      GATEWAY_CIRCUIT_FAILURES: '3',
      GATEWAY_CIRCUIT_HALF_OPEN_MS: '1000',
    });
    const gateway = worker.app.get(SimulatedPaymentGateway);
    const buy = async () =>
      new Shopper(worker, newShopper()).buy(await newProduct(worker.db, { stock: 1 }));
    try {
      await signIn(page, worker);
      const limit = page.locator('#permit-limit');
      await limit.filter({ hasText: /^32 \/ 32$/ }).waitFor();

      gateway.tune({ transientFailureRate: 1 });
      expect((await buy()).body.status).toBe('PAYMENT_FAILED');
      await page
        .locator('#permit-limit.attention')
        .filter({ hasText: /^1 \/ 32$/ })
        .waitFor();

      gateway.tune({ transientFailureRate: 0 });
      const guard = worker.app.get(GatewayGuard);
      await waitFor('the pause to end', () =>
        Promise.resolve(guard.retryAfterMs() === 0 ? true : undefined),
      );
      expect((await buy()).body.status).toBe('PAID');
      await limit.filter({ hasText: /^32 \/ 32$/ }).waitFor();
    } finally {
      gateway.tune({ transientFailureRate: 0 });
      await worker.close();
    }
  });

  it('tells a late order from a lost one, re-drives one, and saves a screenshot', async () => {
    await api.http().put('/admin/mode').set(admin).send({ mode: 'async' }).expect(200);
    const shopper = new Shopper(api, newShopper());
    const placed = await shopper.buy(await newProduct(api.db, { stock: 1 }));
    expect(placed.status).toBe(202);
    const orderId = placed.body.id as string;

    await signIn(page, api);
    const row = page.locator(`#stuck-orders tr[data-order-id="${orderId}"]`);
    // Waiting on the topic for a worker: late, and left alone.
    await row
      .filter({ hasText: /late.*queued on \S*payment\.order\/\d+ at \d+, \d+ ahead/ })
      .waitFor({
        timeout: 15_000,
      });
    expect(await row.getAttribute('data-verdict')).toBe('late');
    expect(await row.textContent()).not.toContain('needs attention');

    // Lost from the topic, it is lost, and with no re-drive allowed, flagged.
    await waitFor('its request published', async () => {
      const [request] = await api.db.query<{ published: boolean }[]>(
        `SELECT published_at IS NOT NULL AS published FROM outbox WHERE key = $1`,
        [orderId],
      );
      return request?.published ? true : undefined;
    });
    expect(await loseRecords(`${prefix}payment.order`)).toBeGreaterThanOrEqual(1);
    await row.filter({ hasText: /lost.*passed on \S*payment\.order/ }).waitFor({ timeout: 15_000 });
    await row.filter({ hasText: 'needs attention' }).waitFor();
    expect(await row.getAttribute('data-verdict')).toBe('lost');
    // The next order waits where the log now starts: late.
    const next = await new Shopper(api, newShopper()).buy(await newProduct(api.db, { stock: 1 }));
    const nextRow = page.locator(`#stuck-orders tr[data-order-id="${next.body.id as string}"]`);
    await nextRow.filter({ hasText: /late.*queued on/ }).waitFor({ timeout: 15_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-console.png'), fullPage: true });

    await row.getByRole('button', { name: 'Re-drive' }).click();
    await page.getByText(`Order ${orderId} re-driven`).waitFor();
    const [order] = await api.db.query<{ redrives: number }[]>(
      `SELECT redrives FROM orders WHERE id = $1`,
      [orderId],
    );
    expect(order.redrives).toBe(1);
    const [requests] = await api.db.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM outbox WHERE key = $1 AND topic = 'payment.order'`,
      [orderId],
    );
    expect(requests.count).toBe(2);
  });

  it('says when the app stops answering, and recovers when it is back', async () => {
    await signIn(page, api);
    await page.locator('#link').filter({ hasText: 'live' }).waitFor();

    await page.route('**/admin/figures', (route) => route.abort('connectionrefused'));
    await page.getByText('The app is unreachable').waitFor();
    expect(await text(page, '#link')).toBe('app unreachable');

    await page.unroute('**/admin/figures');
    await page.locator('#link').filter({ hasText: 'live' }).waitFor();
    expect(await page.getByText('The app is unreachable').count()).toBe(0);
  });

  it('says when Kafka is unreachable', async () => {
    const noKafka = await apiOnly({ KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });
    try {
      await signIn(page, noKafka);
      await page.getByText('Kafka is unreachable').waitFor({ timeout: 15_000 });
      expect(await text(page, '#link')).toBe('Kafka unreachable');
      const figures = await waitFor('figures', async () => {
        const answer = await noKafka.http().get('/admin/figures').set(admin);
        const body = answer.body as { kafka?: { error?: string } };
        return body.kafka?.error ? body : undefined;
      });
      expect(figures.kafka).toMatchObject({ configured: true, reachable: false });
    } finally {
      await noKafka.close();
    }
  });
});
