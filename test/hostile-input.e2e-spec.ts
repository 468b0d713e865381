import fc from 'fast-check';
import { validateHeaderValue } from 'node:http';
import { Response } from 'supertest';
import { APP_CONFIG } from '../src/config/config.module';
import { AppConfig } from '../src/config/app-config';
import { Shopper } from './support/shopper';
import {
  ADMIN_TOKEN,
  newProduct,
  newShopper,
  startApp,
  switchMode,
  TestApp,
} from './support/test-app';

/**
 * A generated barrage against every route that takes a body, a header or a path parameter.
 * Whatever arrives, the answer is a 2xx or a 4xx in the JSON error shape, never a 5xx, and a
 * refused request leaves no row behind.
 */

/** Enough runs per route to meet each family of hostile values several times over. */
const RUNS = Number(process.env.HOSTILE_INPUT_RUNS ?? 40);

/** The tables a request could write to, counted; quantities summed, as an update moves them. */
const FOOTPRINT = `SELECT
  (SELECT count(*) FROM orders) AS orders,
  (SELECT count(*) FROM order_lines) AS order_lines,
  (SELECT count(*) FROM order_timeline) AS timeline,
  (SELECT count(*) FROM payment_retries) AS retries,
  (SELECT count(*) FROM payments) AS payments,
  (SELECT count(*) FROM stock_reservations) AS reservations,
  (SELECT count(*) FROM outbox) AS outbox,
  (SELECT count(*) FROM notifications) AS notifications,
  (SELECT count(*) FROM runtime_setting_changes) AS setting_changes,
  (SELECT count(*) FROM cart_items) AS cart_items,
  (SELECT coalesce(sum(quantity), 0) FROM cart_items) AS cart_units,
  (SELECT coalesce(sum(stock), 0) FROM products) AS stock`;

// --- hostile values ----------------------------------------------------------------------

const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** Any JSON value, and the values a careless parser or validator trips on. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'NaN',
    '1e309',
    '-0',
    'tok_',
    'tok_visa',
    'A'.repeat(5000),
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '😀'.repeat(40),
  ),
  fc.integer(),
  fc.constantFrom(0, -1, 1.5, 2 ** 31, Number.MAX_SAFE_INTEGER + 2, 1e308),
  fc.boolean(),
  fc.constant(null),
);

/** An object with some fields valid, some hostile, and some keys no route expects. */
function hostileObject(valid: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  const fields = Object.entries(valid).map(([key, value]) =>
    fc.option(fc.tuple(fc.constant(key), fc.oneof({ arbitrary: value, weight: 3 }, anyValue)), {
      nil: undefined,
      freq: 5,
    }),
  );
  const extra = fc.oneof(
    { arbitrary: fc.constant([]), weight: 3 },
    fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...FORBIDDEN_KEYS), fc.string({ maxLength: 20 })),
        anyValue,
      ),
      { minLength: 1, maxLength: 2 },
    ),
  );
  // Built as text: a `__proto__` key must reach the server as a key, as an attacker sends it.
  return fc.tuple(fc.tuple(...fields), extra).map(([chosen, added]) => {
    const pairs = [...chosen.filter((pair) => pair !== undefined), ...added];
    return `{${pairs.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`;
  });
}

/** JSON nested as deep as a small body allows. */
const deeplyNested = fc
  .tuple(fc.integer({ min: 50, max: 20_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : '}';
    return `{"sku":"CAP-LOGO","quantity":1,"mode":"sync","maxInFlight":1,"x":${open.repeat(depth)}1${close.repeat(depth)}}`;
  });

/** Bytes that are not the JSON they claim to be. */
const malformed = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{', '{"sku":', '[1,2', '{"a":1}}', 'null', '"text"', '1', '[]', '{}'),
);

const anyBody = fc.oneof(
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: deeplyNested, weight: 2 },
  { arbitrary: malformed, weight: 2 },
);

/** How the body is labelled and encoded; most are not what the API takes. */
const framing = fc.record({
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/merge-patch+json',
  ),
  contentEncoding: fc.option(
    fc.constantFrom('gzip', 'br', 'deflate', 'compress', 'identity', 'x-unknown'),
    { nil: undefined, freq: 4 },
  ),
});

/** A header value Node's client can send: any byte but controls, any length. */
const headerValue = fc
  .oneof(
    fc.string({ unit: 'binary-ascii', maxLength: 120 }),
    fc.constantFrom('', ' ', 'a'.repeat(65), 'Bearer', 'bearer x', 'Basic dXNlcjpwYXNz'),
  )
  .filter((value) => {
    try {
      validateHeaderValue('x-probe', value);
      return true;
    } catch {
      return false;
    }
  });

/** A path segment: random text percent-encoded, and what naive decoding trips on. */
const pathSegment = fc.oneof(
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.uuid().map(String),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '..', '%2e%2e%2f', 'CAP-LOGO', 'a'.repeat(300)),
);

/** A query value: one the route takes, random text percent-encoded, or what a parser trips on. */
const queryValue = (...valid: string[]) =>
  fc.oneof(
    fc.constantFrom(...valid),
    fc.string({ maxLength: 60 }).map(encodeURIComponent),
    fc.constantFrom('', '%', '%zz', '-1', '0', '1.5', '1e309', 'NaN', '0x10', 'a'.repeat(300)),
  );

/** One query parameter as a client may send it: once, twice (an array), or with brackets. */
const queryParam = (name: string, ...valid: string[]) =>
  fc.oneof(
    { arbitrary: queryValue(...valid).map((value) => `${name}=${value}`), weight: 4 },
    fc
      .tuple(queryValue(...valid), queryValue(...valid))
      .map(([first, second]) => `${name}=${first}&${name}=${second}`),
    queryValue(...valid).map((value) => `${name}[]=${value}`),
    queryValue(...valid).map((value) => `${name}[x]=${value}`),
  );

// --- the barrage ---------------------------------------------------------------------------

describe('hostile input gets a clean 4xx, never a 5xx, and leaves nothing behind', () => {
  let app: TestApp;
  let internalSecret: string;
  let sku: string;
  /** An order of the shopper's whose payment failed: retries of it reach the retry itself. */
  let failedOrder: string;
  const shopper = newShopper();

  beforeAll(async () => {
    // A stream of a real order ends soon, so a request for it is answered in the barrage's time.
    app = await startApp({ SSE_MAX_LIFETIME_MS: '1000' });
    internalSecret = app.app.get<AppConfig>(APP_CONFIG).callbacks.internalSecret;
    sku = await newProduct(app.db, { stock: 1_000_000 });
    await fillCart();
    const failed = await new Shopper(app, shopper).placeOrder('tok_decline');
    failedOrder = failed.body.id as string;
  });
  afterAll(() => app.close());

  async function footprint(): Promise<string> {
    const [row] = await app.db.query<unknown[]>(FOOTPRINT);
    return JSON.stringify(row);
  }

  /**
   * The footprint once the work an accepted request started (an async payment, its result, its
   * notice) has finished: unchanged over a few reads in a row.
   */
  async function settledFootprint(): Promise<string> {
    let last = await footprint();
    for (let unchanged = 0; unchanged < 3;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await footprint();
      unchanged = now === last ? unchanged + 1 : 0;
      last = now;
    }
    return last;
  }
  let accepted = false;

  /** A cart with something in it, so an order request reaches as deep as it can. */
  async function fillCart(): Promise<void> {
    await app.db.query(
      `INSERT INTO cart_items (user_id, sku, quantity) VALUES ($1, $2, 1) ON CONFLICT DO NOTHING`,
      [shopper, sku],
    );
  }

  interface Attempt {
    method: 'get' | 'post' | 'put' | 'patch' | 'delete';
    path: string;
    headers?: Record<string, string | undefined>;
    body?: string | null;
    contentType?: string;
    contentEncoding?: string;
  }

  async function send(attempt: Attempt): Promise<Response> {
    let call = app.http()[attempt.method](attempt.path);
    for (const [name, value] of Object.entries(attempt.headers ?? {})) {
      if (value !== undefined) call = call.set(name, value);
    }
    if (attempt.body === undefined || attempt.body === null) return call;
    call = call.set('Content-Type', attempt.contentType ?? 'application/json');
    if (attempt.contentEncoding) call = call.set('Content-Encoding', attempt.contentEncoding);
    return call.send(attempt.body);
  }

  /** The property every route holds, whatever `attempt` carries. */
  async function answersCleanly(attempt: Attempt): Promise<void> {
    await fillCart();
    const before = accepted ? await settledFootprint() : await footprint();
    const answer = await send(attempt);
    accepted = answer.status < 400;
    const seen = `${attempt.method.toUpperCase()} ${attempt.path} → ${answer.status} ${answer.text.slice(0, 300)}`;
    if (answer.status >= 500) throw new Error(`a server error: ${seen}`);
    if (answer.status < 400) return;
    if (!/^application\/json/.test(String(answer.headers['content-type']))) {
      throw new Error(`a 4xx that is not JSON: ${seen}`);
    }
    const body = answer.body as { statusCode?: unknown; error?: unknown; message?: unknown };
    const messageOk =
      typeof body.message === 'string' ||
      (Array.isArray(body.message) && body.message.every((line) => typeof line === 'string'));
    if (body.statusCode !== answer.status || typeof body.error !== 'string' || !messageOk) {
      throw new Error(`a 4xx not in the error shape {statusCode, error, message}: ${seen}`);
    }
    const after = await footprint();
    if (after !== before) {
      throw new Error(
        `a refused request left rows behind: ${seen}\n before ${before}\n after  ${after}`,
      );
    }
  }

  const barrage = (arbitrary: fc.Arbitrary<Attempt>) =>
    fc.assert(fc.asyncProperty(arbitrary, answersCleanly), { numRuns: RUNS });

  const shopperHeaders = fc.record({
    'X-User-Id': fc.oneof({ arbitrary: fc.constant(shopper), weight: 3 }, headerValue),
    'Idempotency-Key': fc.option(headerValue, { nil: undefined, freq: 3 }),
    traceparent: fc.option(headerValue, { nil: undefined }),
  });
  const adminHeaders = fc.record({
    Authorization: fc.oneof(
      { arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`), weight: 3 },
      headerValue,
    ),
    'X-Admin-User': fc.option(headerValue, { nil: undefined }),
  });
  const withBody = (
    method: Attempt['method'],
    path: fc.Arbitrary<string>,
    headers: fc.Arbitrary<Record<string, string | undefined>>,
    valid: Record<string, fc.Arbitrary<unknown>>,
  ): fc.Arbitrary<Attempt> =>
    fc
      .record({
        path,
        headers,
        body: fc.oneof({ arbitrary: hostileObject(valid), weight: 6 }, anyBody),
        framing: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, framing),
      })
      .map(({ path, headers, body, framing }) => ({
        method,
        path,
        headers,
        body,
        contentType: framing?.contentType,
        contentEncoding: framing?.contentEncoding,
      }));

  const token = fc.constantFrom('tok_visa', 'tok_decline', 'tok_unavailable', 'tok_x');

  it('POST /cart/items', () =>
    barrage(
      withBody('post', fc.constant('/cart/items'), shopperHeaders, {
        sku: fc.constant(sku),
        quantity: fc.integer({ min: -2, max: 3 }),
      }),
    ));

  it('PATCH and DELETE /cart/items/:sku', () =>
    barrage(
      fc.oneof(
        withBody(
          'patch',
          fc.oneof(fc.constant(sku), pathSegment).map((segment) => `/cart/items/${segment}`),
          shopperHeaders,
          { quantity: fc.integer({ min: -2, max: 3 }) },
        ),
        fc
          .record({ segment: pathSegment, headers: shopperHeaders })
          .map(({ segment, headers }) => ({
            method: 'delete' as const,
            path: `/cart/items/${segment}`,
            headers,
          })),
      ),
    ));

  it('POST /orders, in sync and async mode', async () => {
    for (const mode of ['sync', 'async'] as const) {
      await switchMode(app, mode);
      await barrage(
        withBody('post', fc.constant('/orders'), shopperHeaders, { paymentToken: token }),
      );
    }
    await switchMode(app, 'sync');
  });

  it('POST /orders/:id/payment-retries and GET /orders/:id/…', () => {
    const orderId = fc.oneof(fc.constant(failedOrder), pathSegment);
    return barrage(
      fc.oneof(
        withBody(
          'post',
          orderId.map((id) => `/orders/${id}/payment-retries`),
          shopperHeaders,
          { paymentToken: token },
        ),
        fc
          .record({
            segment: orderId,
            tail: fc.constantFrom('', '/timeline', '/events'),
            headers: shopperHeaders,
          })
          .map(({ segment, tail, headers }) => ({
            method: 'get' as const,
            path: `/orders/${segment}${tail}`,
            headers,
          })),
      ),
    );
  });

  it('PUT /admin/mode and PUT /admin/backpressure', async () => {
    await barrage(
      fc.oneof(
        withBody('put', fc.constant('/admin/mode'), adminHeaders, {
          mode: fc.constantFrom('sync', 'auto'),
          reason: fc.string({ maxLength: 600 }),
        }),
        withBody('put', fc.constant('/admin/backpressure'), adminHeaders, {
          maxInFlight: fc.integer({ min: -1, max: 20_000 }),
          reason: fc.string({ maxLength: 600 }),
        }),
      ),
    );
    await switchMode(app, 'sync');
  });

  it('the routes that take only a header: GET /cart and the admin GETs', () =>
    barrage(
      fc.oneof(
        shopperHeaders.map((headers) => ({ method: 'get' as const, path: '/cart', headers })),
        fc
          .record({
            path: fc.constantFrom(
              '/admin/mode',
              '/admin/backpressure',
              '/admin/figures',
              '/admin/me',
            ),
            headers: adminHeaders,
          })
          .map(({ path, headers }) => ({ method: 'get' as const, path, headers })),
      ),
    ));

  it('the admin routes with a path or a query', async () => {
    // A query name the route does not take is refused whatever its value, and would leave
    // the value untried: each name barraged here is first seen accepted.
    for (const path of [
      '/admin/stuck-orders?limit=5',
      '/admin/dead-letters?state=all&limit=5',
      '/admin/figures/history?seconds=5',
    ]) {
      const answer = await app.http().get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(`${path} → ${answer.status}`).toBe(`${path} → 200`);
    }
    const get = (path: string) => ({ method: 'get' as const, path });
    const post = (path: string) => ({ method: 'post' as const, path });
    const limit = queryParam('limit', '1', '100', '1000', '1001');
    await barrage(
      fc
        .record({
          route: fc.oneof(
            pathSegment.map((id) => post(`/admin/orders/${id}/redrive`)),
            pathSegment.map((id) => post(`/admin/dead-letters/${id}/replay`)),
            pathSegment.map((id) => get(`/admin/console/${id}`)),
            limit.map((query) => get(`/admin/stuck-orders?${query}`)),
            fc
              .tuple(
                fc.option(queryParam('state', 'waiting', 'replayed', 'all', 'WAITING'), {
                  nil: undefined,
                }),
                fc.option(limit, { nil: undefined }),
              )
              .map((params) =>
                get(`/admin/dead-letters?${params.filter((param) => param).join('&')}`),
              ),
            queryParam('seconds', '1', '60', '600', '601').map((query) =>
              get(`/admin/figures/history?${query}`),
            ),
          ),
          headers: adminHeaders,
        })
        .map(({ route, headers }) => ({ ...route, headers })),
    );
  });

  it('POST /admin/dead-letters/replay', () =>
    barrage(
      withBody('post', fc.constant('/admin/dead-letters/replay'), adminHeaders, {
        topic: fc.string({ maxLength: 40 }),
        limit: fc.integer({ min: -1, max: 2000 }),
      }),
    ));

  it('POST /internal/order-updates', () =>
    barrage(
      withBody(
        'post',
        fc.constant('/internal/order-updates'),
        fc.record({
          'X-Internal-Secret': fc.oneof(
            { arbitrary: fc.constant(internalSecret), weight: 3 },
            headerValue,
          ),
        }),
        {
          orderId: fc.uuid().map(String),
          event: fc.record({ type: fc.constantFrom('result', 'status'), data: fc.jsonValue() }),
        },
      ),
    ));
});
