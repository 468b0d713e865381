import { ConfigError, loadConfig } from './app-config';

const FLEET = { PUBLIC_URL: 'http://127.0.0.1:3000', INTERNAL_SECRET: 'x'.repeat(16) };

describe('loadConfig', () => {
  it('gives laptop defaults and the embedded database when nothing is set', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.database).toEqual({ kind: 'embedded', dataDir: './data/pglite' });
    expect(config.gateway.capacity).toBe(50);
  });

  it('uses the PostgreSQL server when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(config.database).toMatchObject({ kind: 'postgres', poolSize: 10 });
  });

  it('names each bad variable and its value', () => {
    expect(() =>
      loadConfig({
        PORT: 'eighty',
        GATEWAY_TRANSIENT_FAILURE_RATE: '2',
        DATABASE_URL: 'mysql://x',
      }),
    ).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', GATEWAY_TRANSIENT_FAILURE_RATE: '2' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('PORT="eighty"');
      expect(message).toContain('GATEWAY_TRANSIENT_FAILURE_RATE="2"');
    }
  });

  it('names a bad secret but never prints it, nor the database password', () => {
    const problems = (env: Record<string, string>): string => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).message;
      }
      throw new Error('loadConfig accepted it');
    };
    const message = problems({
      ADMIN_TOKEN: 'short-admin',
      INTERNAL_SECRET: 'short-inner',
      DATABASE_URL: 'mysql://checkout:Pa55word@db/checkout',
      ADMIN_TOKENS: 'alice:short-alice',
    });
    expect(message).toMatch(/ADMIN_TOKEN: at least 16 characters/);
    expect(message).toMatch(/INTERNAL_SECRET: at least 16 characters/);
    expect(message).toMatch(/DATABASE_URL: /);
    for (const secret of ['short-admin', 'short-inner', 'Pa55word', 'short-alice']) {
      expect(message).not.toContain(secret);
    }
    const badPassword = problems({ DATABASE_URL: 'postgres://checkout:50%off@db/checkout' });
    expect(badPassword).toMatch(/DATABASE_URL: its user and password must be percent-encoded/);
    expect(badPassword).not.toContain('50%off');
    const gateway = problems({ GATEWAY_URL: 'ftp://merchant:gw-s3cret@gateway.example/' });
    expect(gateway).toMatch(/GATEWAY_URL="ftp:\/\/…@gateway.example\/"/);
    expect(gateway).not.toContain('gw-s3cret');
  });

  it('needs a shared INTERNAL_SECRET and a PUBLIC_URL whenever Kafka is configured', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092' })).toThrow(
      /PUBLIC_URL: required with KAFKA_BROKERS[\s\S]*INTERNAL_SECRET: required with KAFKA_BROKERS/,
    );
    expect(() =>
      loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', PUBLIC_URL: 'http://api-1:3000' }),
    ).toThrow(/INTERNAL_SECRET: required with KAFKA_BROKERS/);
    const fleet = loadConfig({
      KAFKA_BROKERS: '127.0.0.1:9092',
      PUBLIC_URL: 'http://api-1:3000/',
      INTERNAL_SECRET: 'x'.repeat(16),
    });
    expect(fleet.callbacks).toMatchObject({
      publicUrl: 'http://api-1:3000',
      internalSecret: 'x'.repeat(16),
    });
  });

  it('refuses the secrets the docs show as examples, unless told it is a laptop', () => {
    const examples = {
      ADMIN_TOKEN: 'change-me-admin-token',
      INTERNAL_SECRET: 'change-me-internal-secret',
      ADMIN_TOKENS: 'alice:change-me-alice-token',
    };
    expect(() => loadConfig(examples)).toThrow(
      /INTERNAL_SECRET: an example value[\s\S]*ADMIN_TOKEN: an example[\s\S]*ADMIN_TOKENS \(alice\): an example/,
    );
    expect(loadConfig({ ...examples, ALLOW_PLACEHOLDER_SECRETS: 'true' }).admin.tokens).toEqual([
      { name: 'admin', token: 'change-me-admin-token' },
      { name: 'alice', token: 'change-me-alice-token' },
    ]);
  });

  it('binds each admin token to a name, ADMIN_TOKEN to "admin"', () => {
    const { admin } = loadConfig({
      ADMIN_TOKEN: 'a'.repeat(16),
      ADMIN_TOKENS: `alice:${'b'.repeat(16)}, bob:${'c'.repeat(16)},alice:${'d'.repeat(16)}`,
    });
    expect(admin.tokens.map(({ name }) => name)).toEqual(['admin', 'alice', 'bob', 'alice']);
    expect(admin.jwt).toBeNull();
    expect(() =>
      loadConfig({ ADMIN_TOKENS: `alice:${'b'.repeat(16)},bob:${'b'.repeat(16)}` }),
    ).toThrow(/bob and alice share a token/);
    expect(() => loadConfig({ ADMIN_TOKENS: 'b'.repeat(16) })).toThrow(
      /ADMIN_TOKENS entry 1: name:token/,
    );
  });

  it('takes JWTs only for this app: an issuer and an audience are required', () => {
    expect(() => loadConfig({ ADMIN_JWKS_URL: 'https://id.example/jwks' })).toThrow(
      /ADMIN_JWT_ISSUER: required with ADMIN_JWKS_URL[\s\S]*ADMIN_JWT_AUDIENCE: required/,
    );
    expect(
      loadConfig({
        ADMIN_JWKS_URL: 'https://id.example/jwks',
        ADMIN_JWT_ISSUER: 'https://id.example',
        ADMIN_JWT_AUDIENCE: 'peak-checkout-admin',
      }).admin.jwt,
    ).toEqual({
      jwksUrl: 'https://id.example/jwks',
      issuer: 'https://id.example',
      audience: 'peak-checkout-admin',
      nameClaim: 'sub',
    });
  });

  it('needs a shared INTERNAL_SECRET when the roles run apart', () => {
    expect(() => loadConfig({ APP_ROLES: 'worker' })).toThrow(
      /INTERNAL_SECRET: required when APP_ROLES=worker/,
    );
    expect(() => loadConfig({ APP_ROLES: 'api', INTERNAL_SECRET: 'x'.repeat(16) })).toThrow(
      /PUBLIC_URL: required when APP_ROLES=api/,
    );
    const split = loadConfig({
      APP_ROLES: 'api',
      INTERNAL_SECRET: 'x'.repeat(16),
      PUBLIC_URL: 'http://api:3000',
    });
    expect(split.roles).toEqual({ api: true, worker: false });
    expect(loadConfig({}).roles).toEqual({ api: true, worker: true });
  });

  it("keeps auto mode's in-flight threshold under the sync bulkhead, so it goes async first", () => {
    expect(loadConfig({}).syncCheckout).toEqual({
      maxInFlight: 32,
      queueLength: 64,
      queueWaitMs: 50,
    });
    expect(() => loadConfig({ SYNC_MAX_IN_FLIGHT: '20' })).toThrow(
      /AUTO_ASYNC_ABOVE_IN_FLIGHT=20: under SYNC_MAX_IN_FLIGHT \(20\)/,
    );
    expect(loadConfig({ SYNC_MAX_IN_FLIGHT: '8', AUTO_ASYNC_ABOVE_IN_FLIGHT: '6' })).toMatchObject({
      syncCheckout: { maxInFlight: 8 },
      autoMode: { asyncAboveInFlight: 6 },
    });
  });

  it('reads a role named twice as that one role', () => {
    expect(() => loadConfig({ APP_ROLES: 'worker,worker' })).toThrow(
      /INTERNAL_SECRET: required when APP_ROLES=worker/,
    );
    expect(() => loadConfig({ APP_ROLES: 'api,api', INTERNAL_SECRET: 'x'.repeat(16) })).toThrow(
      /PUBLIC_URL: required when APP_ROLES=api/,
    );
  });

  it('bounds slow clients by default, and keeps CORS off until origins are listed', () => {
    expect(loadConfig({}).http).toMatchObject({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 10_000,
      bodyMaxDepth: 32,
      corsOrigins: [],
    });
    expect(
      loadConfig({ CORS_ORIGINS: 'https://shop.example/, http://localhost:5173' }).http.corsOrigins,
    ).toEqual(['https://shop.example', 'http://localhost:5173']);
    expect(() => loadConfig({ CORS_ORIGINS: 'shop.example' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://shop.example/cart' })).toThrow(/CORS_ORIGINS/);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() =>
      loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' }),
    ).toThrow(/HTTP_HEADERS_TIMEOUT_MS=6000: at most HTTP_REQUEST_TIMEOUT_MS \(5000\)/);
  });

  it('refuses an unknown role', () => {
    expect(() => loadConfig({ APP_ROLES: 'api,cron' })).toThrow(/APP_ROLES/);
  });

  it('runs the gateway simulator in-process unless GATEWAY_URL names its service', () => {
    expect(loadConfig({}).gateway).toMatchObject({ url: null, lostResponseRate: 0 });
    expect(loadConfig({ GATEWAY_URL: 'http://127.0.0.1:3100/' }).gateway.url).toBe(
      'http://127.0.0.1:3100',
    );
    expect(() => loadConfig({ GATEWAY_URL: 'tcp://gateway' })).toThrow(/GATEWAY_URL="tcp:/);
    expect(() => loadConfig({ GATEWAY_LOST_RESPONSE_RATE: '1.5' })).toThrow(
      /GATEWAY_LOST_RESPONSE_RATE="1.5"/,
    );
  });

  it('watches a sync order as long as its payment can run, unless told otherwise', () => {
    // 2 × (3 calls of 5 s + backoffs of 50 and 100 ms) + 5 s for the database work.
    expect(loadConfig({}).watchdog).toMatchObject({
      lossWindowMs: 300_000,
      syncLossWindowMs: 35_300,
      intervalMs: 1000,
    });
    expect(
      loadConfig({ GATEWAY_TIMEOUT_MS: '1000', PAYMENT_MAX_ATTEMPTS: '1' }).watchdog
        .syncLossWindowMs,
    ).toBe(7000);
    // Never longer than the loss window, which stays the last line of defence…
    expect(loadConfig({ LOSS_WINDOW_MS: '2000' }).watchdog.syncLossWindowMs).toBe(2000);
    // …unless set.
    expect(loadConfig({ SYNC_LOSS_WINDOW_MS: '60000' }).watchdog.syncLossWindowMs).toBe(60_000);
    expect(() => loadConfig({ SYNC_LOSS_WINDOW_MS: '10' })).toThrow(/SYNC_LOSS_WINDOW_MS="10"/);
  });

  it('gives up on an async payment well inside the loss window, so it is never re-driven while it asks', () => {
    expect(loadConfig({}).payment).toMatchObject({ patienceMs: 150_000, retryCapMs: 2000 });
    expect(loadConfig({ LOSS_WINDOW_MS: '2000' }).payment.patienceMs).toBe(1000);
    expect(loadConfig({ PAYMENT_PATIENCE_MS: '60000' }).payment.patienceMs).toBe(60_000);
    expect(() => loadConfig({ PAYMENT_PATIENCE_MS: '200000' })).toThrow(
      /PAYMENT_PATIENCE_MS=200000: at most half of LOSS_WINDOW_MS \(300000\)/,
    );
  });

  it('fails a dead worker over within seconds, with heartbeats and rebalances to match', () => {
    const kafka = (env: Record<string, string> = {}) =>
      loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', ...FLEET, ...env }).kafka;
    expect(kafka()).toMatchObject({
      sessionTimeoutMs: 8000,
      heartbeatIntervalMs: 1000,
      rebalanceTimeoutMs: 3000,
    });
    expect(() => kafka({ KAFKA_SESSION_TIMEOUT_MS: '5000' })).toThrow(
      /KAFKA_SESSION_TIMEOUT_MS="5000"/,
    );
    expect(() => kafka({ KAFKA_HEARTBEAT_INTERVAL_MS: '3000' })).toThrow(
      /KAFKA_HEARTBEAT_INTERVAL_MS=3000: at most a third of KAFKA_SESSION_TIMEOUT_MS \(8000\)/,
    );
    expect(() =>
      kafka({ KAFKA_HEARTBEAT_INTERVAL_MS: '2000', KAFKA_SESSION_TIMEOUT_MS: '30000' }),
    ).toThrow(/at most half of KAFKA_REBALANCE_TIMEOUT_MS \(3000\)/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).database.kind).toBe('embedded');
  });
});
