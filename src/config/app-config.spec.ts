import { ConfigError, loadConfig } from './app-config';

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

  it('fails a dead worker over within seconds, with heartbeats and rebalances to match', () => {
    const kafka = (env: Record<string, string> = {}) =>
      loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', ...env }).kafka;
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
