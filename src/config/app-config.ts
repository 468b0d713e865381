import { randomBytes } from 'node:crypto';
import { knobsOf } from '../gateway-simulator/gateway-knobs';
import { AdminJwtConfig, NamedToken, namedTokens } from './admin-credentials';
import { environmentSchema } from './environment-schema';
import { isPlaceholderSecret, SECRET_VARIABLES } from './placeholder-secrets';

export type Environment = Record<string, string | undefined>;

/** What a sync payment's own database work (fraud check, record, settle) is allowed on top. */
const SYNC_PAYMENT_MARGIN_MS = 5000;

/**
 * The longest a sync payment runs while nothing is wrong: every gateway call of its
 * authorization timing out, with the backoffs between them; as long again for the void of a
 * call left unanswered (re-driving meanwhile could see the void cancel the charge the re-drive
 * records); and a margin for its database work. A sync order still waiting past it lost the
 * process (or the database) running its payment.
 */
export function longestSyncPaymentMs(payment: {
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
}): number {
  const { timeoutMs, maxAttempts, retryBaseMs } = payment;
  const backoffs = retryBaseMs * (2 ** (maxAttempts - 1) - 1);
  return 2 * (maxAttempts * timeoutMs + backoffs) + SYNC_PAYMENT_MARGIN_MS;
}

/** When auto mode leaves sync mode, and when it comes back. */
export interface AutoThresholds {
  asyncAboveInFlight: number;
  asyncAboveLatencyMs: number;
  syncBelowInFlight: number;
  syncBelowLatencyMs: number;
  holdMs: number;
}

/** The typed configuration, grouped by concern so each module reads only its part. */
export interface AppConfig {
  http: {
    port: number;
    bodyLimit: string;
    /** Objects and arrays a body may nest. */
    bodyMaxDepth: number;
    /** Longest a client may take to send a whole request; then 408 and the socket closes. */
    requestTimeoutMs: number;
    /** Longest a client may take to send a request's headers. */
    headersTimeoutMs: number;
    /** How long an idle keep-alive connection stays open. */
    keepAliveTimeoutMs: number;
    maxConnections: number;
    /** Origins a browser may call the API from; none: CORS is off. */
    corsOrigins: string[];
  };
  /** `auto`: pretty when stdout is a terminal, else JSON lines. */
  log: { level: string; format: 'auto' | 'json' | 'pretty' };
  database:
    | {
        kind: 'postgres';
        url: string;
        poolSize: number;
        connectionTimeoutMs: number;
        /** Client-side bound on one query's answer; 0 for none. */
        queryTimeoutMs: number;
        /** Parameterized statements prepared once per connection (see prepared-statements). */
        preparedStatements: boolean;
      }
    | { kind: 'embedded'; dataDir: string };
  catalogue: { seedDemo: boolean; currency: string };
  gateway: {
    /** The gateway's HTTP service; null: the simulator runs in this process. */
    url: string | null;
    timeoutMs: number;
    /** The in-process simulator's knobs (unused with a URL: the service has its own). */
    latencyMs: number;
    capacity: number;
    transientFailureRate: number;
    declineAboveCents: number;
    lostResponseRate: number;
    /** The circuit opens after `failures` failed calls in a row; a probe goes `halfOpenAfterMs` later. */
    circuit: { failures: number; halfOpenAfterMs: number };
  };
  payment: {
    maxAttempts: number;
    retryBaseMs: number;
    /**
     * How long after its request an async payment keeps asking through transient gateway
     * errors before it is recorded as failed (it makes maxAttempts calls at least).
     */
    patienceMs: number;
    /** The longest wait between two calls of an async payment. */
    retryCapMs: number;
  };
  sse: {
    heartbeatMs: number;
    /** How long one stream stays open before the client is asked to reconnect. */
    maxLifetimeMs: number;
    /** The reconnection delay advised to clients (the SSE `retry:` field). */
    retryMs: number;
    maxPerShopper: number;
    /** Streams this instance keeps open at most, all shoppers together. */
    maxPerInstance: number;
  };
  /** The bulkhead of sync checkouts: how many pay at once, how many wait, and how long. */
  syncCheckout: { maxInFlight: number; queueLength: number; queueWaitMs: number };
  mode: { initial: 'sync' | 'async' | 'auto' };
  autoMode: AutoThresholds & { sampleMs: number; latencyWindowMs: number };
  settings: { pollMs: number };
  backpressure: {
    /** The admin's ceiling on payment permits; the limit in force adapts below it. */
    maxInFlight: number;
    /** False: the limit in force is the ceiling. */
    adaptive: boolean;
    consumerMaxInFlight: number;
  };
  watchdog: {
    /** How long an async order may wait for its result before the watchdog looks where it is. */
    lossWindowMs: number;
    /** How long a sync order may wait: past it, the process running its payment is gone. */
    syncLossWindowMs: number;
    intervalMs: number;
    redriveLimit: number;
  };
  shutdown: { graceMs: number };
  roles: { api: boolean; worker: boolean };
  admin: {
    /** Tokens the admin API accepts, each naming its holder; empty with no JWT: the API is off. */
    tokens: NamedToken[];
    jwt: AdminJwtConfig | null;
  };
  callbacks: { publicUrl: string | null; internalSecret: string; timeoutMs: number };
  kafka: KafkaConfig | null;
  outbox: { pollMs: number; batchSize: number; retentionMs: number; pruneIntervalMs: number };
}

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  topicPrefix: string;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  partitionsConcurrently: number;
  maxBytesPerPartition: number;
  handlerAttempts: number;
  /** A worker silent this long is out of its group, and its partitions go to the others. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long a rebalance waits for members to join again; one not back by then is dropped. */
  rebalanceTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; throws a ConfigError naming each bad variable. */
export function loadConfig(env: Environment = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const value = SECRET_VARIABLES.has(name)
          ? ''
          : `=${JSON.stringify(withoutCredentials(present[name]))}`;
        return `${issue.path.join('.')}${value}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const api = e.APP_ROLES.includes('api');
  const worker = e.APP_ROLES.includes('worker');
  const admin = namedTokens(e.ADMIN_TOKENS, e.ADMIN_TOKEN);
  const problems = [
    ...fleetProblems(e, { api, worker }),
    ...admin.problems,
    ...adminJwtProblems(e),
    ...placeholderProblems(e, admin.tokens),
    ...groupTimingProblems(e),
    ...httpTimingProblems(e),
    ...patienceProblems(e),
    ...autoModeProblems(e),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    http: {
      port: e.PORT,
      bodyLimit: e.BODY_LIMIT,
      bodyMaxDepth: e.BODY_MAX_DEPTH,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      corsOrigins: e.CORS_ORIGINS,
    },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    database: e.DATABASE_URL
      ? {
          kind: 'postgres',
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          connectionTimeoutMs: e.DATABASE_CONNECTION_TIMEOUT_MS,
          queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
          preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
        }
      : { kind: 'embedded', dataDir: e.PGLITE_DATA_DIR },
    catalogue: { seedDemo: e.SEED_DEMO_CATALOGUE, currency: e.CURRENCY },
    gateway: {
      url: e.GATEWAY_URL?.replace(/\/$/, '') ?? null,
      timeoutMs: e.GATEWAY_TIMEOUT_MS,
      ...knobsOf(e),
      circuit: {
        failures: e.GATEWAY_CIRCUIT_FAILURES,
        halfOpenAfterMs: e.GATEWAY_CIRCUIT_HALF_OPEN_MS,
      },
    },
    payment: {
      maxAttempts: e.PAYMENT_MAX_ATTEMPTS,
      retryBaseMs: e.PAYMENT_RETRY_BASE_MS,
      patienceMs: e.PAYMENT_PATIENCE_MS ?? Math.floor(e.LOSS_WINDOW_MS / 2),
      retryCapMs: e.PAYMENT_RETRY_CAP_MS,
    },
    sse: {
      heartbeatMs: e.SSE_HEARTBEAT_MS,
      maxLifetimeMs: e.SSE_MAX_LIFETIME_MS,
      retryMs: e.SSE_RETRY_MS,
      maxPerShopper: e.SSE_MAX_STREAMS_PER_SHOPPER,
      maxPerInstance: e.SSE_MAX_STREAMS,
    },
    syncCheckout: {
      maxInFlight: e.SYNC_MAX_IN_FLIGHT,
      queueLength: e.SYNC_QUEUE_LENGTH,
      queueWaitMs: e.SYNC_QUEUE_WAIT_MS,
    },
    mode: { initial: e.CHECKOUT_MODE },
    autoMode: {
      asyncAboveInFlight: e.AUTO_ASYNC_ABOVE_IN_FLIGHT,
      asyncAboveLatencyMs: e.AUTO_ASYNC_ABOVE_LATENCY_MS,
      syncBelowInFlight: e.AUTO_SYNC_BELOW_IN_FLIGHT,
      syncBelowLatencyMs: e.AUTO_SYNC_BELOW_LATENCY_MS,
      holdMs: e.AUTO_HOLD_MS,
      sampleMs: e.AUTO_SAMPLE_MS,
      latencyWindowMs: e.AUTO_LATENCY_WINDOW_MS,
    },
    settings: { pollMs: e.SETTINGS_POLL_MS },
    backpressure: {
      maxInFlight: e.MAX_IN_FLIGHT,
      adaptive: e.ADAPTIVE_LIMIT,
      consumerMaxInFlight: e.CONSUMER_MAX_IN_FLIGHT,
    },
    watchdog: {
      lossWindowMs: e.LOSS_WINDOW_MS,
      syncLossWindowMs:
        e.SYNC_LOSS_WINDOW_MS ??
        Math.min(
          e.LOSS_WINDOW_MS,
          longestSyncPaymentMs({
            timeoutMs: e.GATEWAY_TIMEOUT_MS,
            maxAttempts: e.PAYMENT_MAX_ATTEMPTS,
            retryBaseMs: e.PAYMENT_RETRY_BASE_MS,
          }),
        ),
      intervalMs: e.WATCHDOG_INTERVAL_MS,
      redriveLimit: e.REDRIVE_LIMIT,
    },
    shutdown: { graceMs: e.SHUTDOWN_GRACE_MS },
    roles: { api, worker },
    admin: {
      tokens: admin.tokens,
      jwt: e.ADMIN_JWKS_URL
        ? {
            jwksUrl: e.ADMIN_JWKS_URL,
            issuer: e.ADMIN_JWT_ISSUER!,
            audience: e.ADMIN_JWT_AUDIENCE!,
            nameClaim: e.ADMIN_JWT_NAME_CLAIM,
          }
        : null,
    },
    callbacks: {
      publicUrl: e.PUBLIC_URL?.replace(/\/$/, '') ?? null,
      // Only without Kafka, where no other instance calls this one back.
      internalSecret: e.INTERNAL_SECRET ?? randomBytes(24).toString('hex'),
      timeoutMs: e.CALLBACK_TIMEOUT_MS,
    },
    kafka: e.KAFKA_BROKERS
      ? {
          brokers: e.KAFKA_BROKERS.split(','),
          clientId: e.KAFKA_CLIENT_ID,
          topicPrefix: e.KAFKA_TOPIC_PREFIX,
          partitions: e.KAFKA_PARTITIONS,
          replicationFactor: e.KAFKA_REPLICATION_FACTOR,
          minInsyncReplicas: e.KAFKA_MIN_INSYNC_REPLICAS,
          partitionsConcurrently: e.KAFKA_PARTITIONS_CONCURRENTLY,
          maxBytesPerPartition: e.KAFKA_MAX_BYTES_PER_PARTITION,
          handlerAttempts: e.KAFKA_HANDLER_ATTEMPTS,
          sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
          heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL_MS,
          rebalanceTimeoutMs: e.KAFKA_REBALANCE_TIMEOUT_MS,
        }
      : null,
    outbox: {
      pollMs: e.OUTBOX_POLL_MS,
      batchSize: e.OUTBOX_BATCH_SIZE,
      retentionMs: e.MESSAGE_RETENTION_MS,
      pruneIntervalMs: e.PRUNE_INTERVAL_MS,
    },
  };
}

/**
 * Auto mode must leave sync mode before the bulkhead turns anyone away: sync checkouts past
 * AUTO_ASYNC_ABOVE_IN_FLIGHT send new orders async, so it stays under SYNC_MAX_IN_FLIGHT, the
 * point where checkouts start to queue and then to be refused. Checked whatever the initial
 * mode, since an admin may switch to auto at any time.
 */
function autoModeProblems(e: {
  AUTO_ASYNC_ABOVE_IN_FLIGHT: number;
  SYNC_MAX_IN_FLIGHT: number;
}): string[] {
  return e.AUTO_ASYNC_ABOVE_IN_FLIGHT >= e.SYNC_MAX_IN_FLIGHT
    ? [
        `AUTO_ASYNC_ABOVE_IN_FLIGHT=${e.AUTO_ASYNC_ABOVE_IN_FLIGHT}: under SYNC_MAX_IN_FLIGHT (${e.SYNC_MAX_IN_FLIGHT}), so auto mode goes async before sync checkouts queue or are refused`,
      ]
    : [];
}

/** Headers are part of a request: Node refuses a headers timeout past the request timeout. */
function httpTimingProblems(e: {
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_HEADERS_TIMEOUT_MS: number;
}): string[] {
  return e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS
    ? [
        `HTTP_HEADERS_TIMEOUT_MS=${e.HTTP_HEADERS_TIMEOUT_MS}: at most HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS})`,
      ]
    : [];
}

/**
 * The watchdog re-drives an async order with no result after LOSS_WINDOW_MS: a payment still
 * asking patiently then would run twice. Half the window leaves the other half for its last
 * call, the void of a call left unanswered, and the record.
 */
function patienceProblems(e: { PAYMENT_PATIENCE_MS?: number; LOSS_WINDOW_MS: number }): string[] {
  return e.PAYMENT_PATIENCE_MS !== undefined && e.PAYMENT_PATIENCE_MS * 2 > e.LOSS_WINDOW_MS
    ? [
        `PAYMENT_PATIENCE_MS=${e.PAYMENT_PATIENCE_MS}: at most half of LOSS_WINDOW_MS (${e.LOSS_WINDOW_MS})`,
      ]
    : [];
}

/**
 * Instances that share Kafka call each other back, with the secret they share, at the address
 * each publishes: both must be configured, the same secret on every instance.
 */
function fleetProblems(
  e: { PUBLIC_URL?: string; INTERNAL_SECRET?: string; KAFKA_BROKERS?: string },
  roles: { api: boolean; worker: boolean },
): string[] {
  const problems: string[] = [];
  if (!e.PUBLIC_URL) {
    if (e.KAFKA_BROKERS) {
      problems.push(
        'PUBLIC_URL: required with KAFKA_BROKERS: workers call this instance back there, and ' +
          'call back only addresses their own fleet published',
      );
    } else if (!roles.worker) {
      problems.push(
        'PUBLIC_URL: required when APP_ROLES=api: workers on other hosts call this instance back there',
      );
    }
  }
  if (!e.INTERNAL_SECRET) {
    if (e.KAFKA_BROKERS) {
      problems.push(
        'INTERNAL_SECRET: required with KAFKA_BROKERS: the instances sharing Kafka call each ' +
          'other back with it, so every one needs the same value',
      );
    } else if (!(roles.api && roles.worker)) {
      problems.push(
        `INTERNAL_SECRET: required when APP_ROLES=${roles.api ? 'api' : 'worker'}: api and worker ` +
          'instances call each other back with it, so every instance needs the same value',
      );
    }
  }
  return problems;
}

/** Without an issuer and an audience, any token the provider signs for any app would do. */
function adminJwtProblems(e: {
  ADMIN_JWKS_URL?: string;
  ADMIN_JWT_ISSUER?: string;
  ADMIN_JWT_AUDIENCE?: string;
}): string[] {
  if (!e.ADMIN_JWKS_URL) return [];
  return (['ADMIN_JWT_ISSUER', 'ADMIN_JWT_AUDIENCE'] as const)
    .filter((name) => !e[name])
    .map((name) => `${name}: required with ADMIN_JWKS_URL: only tokens made for this app will do`);
}

function placeholderProblems(
  e: { ADMIN_TOKEN?: string; INTERNAL_SECRET?: string; ALLOW_PLACEHOLDER_SECRETS: boolean },
  tokens: NamedToken[],
): string[] {
  if (e.ALLOW_PLACEHOLDER_SECRETS) return [];
  const placeholders = [
    ...(e.INTERNAL_SECRET && isPlaceholderSecret(e.INTERNAL_SECRET) ? ['INTERNAL_SECRET'] : []),
    ...(e.ADMIN_TOKEN && isPlaceholderSecret(e.ADMIN_TOKEN) ? ['ADMIN_TOKEN'] : []),
    ...tokens
      .filter(({ token }) => token !== e.ADMIN_TOKEN && isPlaceholderSecret(token))
      .map(({ name }) => `ADMIN_TOKENS (${name})`),
  ];
  return placeholders.map(
    (name) =>
      `${name}: an example value from the docs, which anyone can read: set a secret of your ` +
      'own (openssl rand -hex 24), or ALLOW_PLACEHOLDER_SECRETS=true on a laptop',
  );
}

/**
 * A member heartbeats a few times per session (Kafka's advice: at most a third of it), and
 * learns of a rebalance at its next heartbeat, so it must be able to join again within the
 * rebalance timeout (half of it leaves room for a fetch under way).
 */
function groupTimingProblems(e: {
  KAFKA_SESSION_TIMEOUT_MS: number;
  KAFKA_HEARTBEAT_INTERVAL_MS: number;
  KAFKA_REBALANCE_TIMEOUT_MS: number;
}): string[] {
  const heartbeat = e.KAFKA_HEARTBEAT_INTERVAL_MS;
  const problems: string[] = [];
  if (heartbeat * 3 > e.KAFKA_SESSION_TIMEOUT_MS) {
    problems.push(
      `KAFKA_HEARTBEAT_INTERVAL_MS=${heartbeat}: at most a third of KAFKA_SESSION_TIMEOUT_MS (${e.KAFKA_SESSION_TIMEOUT_MS})`,
    );
  }
  if (heartbeat * 2 > e.KAFKA_REBALANCE_TIMEOUT_MS) {
    problems.push(
      `KAFKA_HEARTBEAT_INTERVAL_MS=${heartbeat}: at most half of KAFKA_REBALANCE_TIMEOUT_MS (${e.KAFKA_REBALANCE_TIMEOUT_MS})`,
    );
  }
  return problems;
}

/** A value as it may be shown: any `user:password@` in it (a URL's credentials) left out. */
function withoutCredentials(value: string | undefined): string | undefined {
  return value?.replace(/\/\/[^/@\s]*@/g, '//…@');
}
