import { z } from 'zod';
import { gatewayKnobVariables } from '../gateway-simulator/gateway-knobs';

const integer = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

/**
 * Every knob the app reads from its environment, with a default that works on a laptop, in the
 * groups docs/configuration.md shows them in. That document is generated from these
 * descriptions (`npm run docs:config`); a unit test fails when it is stale.
 */
const http = {
  PORT: integer(3000, 0).describe('HTTP port'),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'a size such as 100kb or 1mb')
    .default('100kb')
    .describe('largest JSON body accepted (`100kb`, `1mb`); a larger one is a `413`'),
  // Validation recurses through a body: 1,500 levels overflow the stack. Our bodies are flat.
  BODY_MAX_DEPTH: integer(32, 1).describe(
    'objects and arrays a JSON body may nest; deeper is a `400` before validation (which recurses)',
  ),
  // Node's defaults (300 s for a request, 60 s for its headers) let slow clients hold sockets.
  HTTP_REQUEST_TIMEOUT_MS: integer(30_000, 100).describe(
    'longest a client may take to send a whole request (headers and body): then `408` and the ' +
      "connection closes (Node's default is 300 s); streams being answered are not bound by it",
  ),
  HTTP_HEADERS_TIMEOUT_MS: integer(10_000, 100).describe(
    "longest a client may take to send a request's headers (at most `HTTP_REQUEST_TIMEOUT_MS`; " +
      "Node's default is 60 s)",
  ),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(5000, 100).describe(
    'how long an idle keep-alive connection stays open; behind a load balancer, set it above ' +
      "the balancer's idle timeout (60 s on AWS ALB), or the balancer reuses connections the app " +
      'is closing (`502`s)',
  ),
  HTTP_MAX_CONNECTIONS: integer(10_000, 1).describe(
    'open connections an instance holds at once, open event streams included; past it new ' +
      'connections are dropped',
  ),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim().replace(/\/$/, ''))
        .filter((origin) => origin !== ''),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(/^https?:\/\/[^/\s]+$/, 'origins such as https://shop.example, comma-separated'),
      ),
    )
    .describe(
      'origins a browser may call the API from, comma-separated (`https://shop.example`; ' +
        'scheme, host and port, no path); empty: CORS off (see [For a frontend](api.md#for-a-frontend))',
    ),
};

const logs = {
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe(
      '`fatal` … `trace`, or `silent`; every line carries `traceId` (and `orderId` for order ' +
        'work); query values and secret headers are redacted',
    ),
  LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'])
    .default('auto')
    .describe(
      '`json`: one JSON line per event (for a log collector); `pretty`: one readable line per ' +
        'event (time, level, message, `traceId`); `auto`: `pretty` when stdout is a terminal, ' +
        'else `json`',
    ),
};

const database = {
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/ })
    .refine(
      percentEncoded,
      'its user and password must be percent-encoded (a % is followed by two hex digits)',
    )
    .optional()
    .describe(
      'PostgreSQL server, `postgres://user:pass@host:5432/db` (user and password ' +
        'percent-encoded); unset: the embedded PGlite',
    ),
  DATABASE_POOL_SIZE: integer(10, 1).describe('connections to the server'),
  DATABASE_CONNECTION_TIMEOUT_MS: integer(5000, 100).describe(
    'how long to wait for a pooled connection before failing (a request then gets `503`)',
  ),
  // 0: none. A server that went silent (a network partition) otherwise holds a query for the
  // TCP retransmission timeout, about 15 minutes on Linux.
  DATABASE_QUERY_TIMEOUT_MS: integer(30_000, 0).describe(
    "how long to wait for one query's answer before failing (`503`); `0`: no limit. " +
      '`npm run db:migrate` waits without one',
  ),
  DATABASE_PREPARED_STATEMENTS: flag(true).describe(
    'prepare each parameterized statement once per connection, so PostgreSQL plans it once; ' +
      '`false` behind a pooler in transaction mode that cannot keep them (PgBouncer before 1.21)',
  ),
  PGLITE_DATA_DIR: z
    .string()
    .min(1)
    .default('./data/pglite')
    .describe('where the embedded database keeps its files; `memory://` keeps nothing'),
  SEED_DEMO_CATALOGUE: flag(true).describe('put the demo products into an empty catalogue at boot'),
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')
    .default('EUR')
    .describe('currency of the demo catalogue (ISO 4217)'),
};

const gateway = {
  GATEWAY_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "the payment gateway's HTTP service (`npm run gateway:simulator`), shared by every " +
        'instance; unset: the simulator runs inside this process',
    ),
  GATEWAY_TIMEOUT_MS: integer(5000, 1).describe(
    'how long the app waits for the gateway, connection included, before treating the call as ' +
      'failed',
  ),
  // A payment failing through all its attempts is PAYMENT_MAX_ATTEMPTS failures in a row: the
  // default opens the circuit on about three such payments with no success between them.
  GATEWAY_CIRCUIT_FAILURES: integer(10, 1).describe(
    'gateway calls failed or timed out in a row that open the circuit to the gateway (an ' +
      "overloaded gateway's `429` does not count: it is alive, and the limit slows down for it): " +
      'then no call is sent, and sync checkouts are refused with `503` (see ' +
      '[Sync mode](architecture.md#sync-mode)); a payment failing through all its attempts is ' +
      '`PAYMENT_MAX_ATTEMPTS` of them',
  ),
  GATEWAY_CIRCUIT_HALF_OPEN_MS: integer(5000, 10).describe(
    'how long an open circuit stays open before one call probes the gateway: a success closes ' +
      'it, a failure opens it for as long again',
  ),
  // The in-process simulator's knobs, defined with the simulator service that reads them too.
  ...gatewayKnobVariables,
};

const payment = {
  PAYMENT_MAX_ATTEMPTS: integer(3, 1).describe(
    'gateway calls per payment before it ends as `ERROR` (sync mode; an async payment makes at ' +
      'least these, then waits out `PAYMENT_PATIENCE_MS`)',
  ),
  PAYMENT_RETRY_BASE_MS: integer(50, 0).describe(
    'first backoff between gateway calls; doubles each retry',
  ),
  // Unset: half of LOSS_WINDOW_MS (see patienceProblems).
  PAYMENT_PATIENCE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({
      whenUnset: 'half of `LOSS_WINDOW_MS`, 150 s with the defaults',
      description:
        'how long after its request an async payment keeps asking through transient gateway ' +
        'errors (overloaded, unavailable, timed out) before it ends as `ERROR`; at most half of ' +
        '`LOSS_WINDOW_MS`, so the watchdog never re-drives a payment still asking',
    }),
  PAYMENT_RETRY_CAP_MS: integer(2000, 1).describe(
    'the longest wait between two gateway calls of an async payment (the backoff doubles up to ' +
      'it, half of it random)',
  ),
};

const streams = {
  SSE_HEARTBEAT_MS: integer(15000, 100).describe('interval of heartbeat events on order streams'),
  // A stream ends after this long and the browser reconnects (after SSE_RETRY_MS), so a stream
  // never outlives its instance's knowledge of who follows it, nor a client who left silently.
  SSE_MAX_LIFETIME_MS: integer(5 * 60_000, 1000).describe(
    "an order stream ends after this long; the browser reconnects by itself and gets the order's " +
      'status again',
  ),
  SSE_RETRY_MS: integer(3000, 100).describe(
    'the reconnection delay advised to clients (the SSE `retry:` field, and `Retry-After` on a ' +
      'refused stream)',
  ),
  SSE_MAX_STREAMS_PER_SHOPPER: integer(10, 1).describe(
    'streams one shopper keeps open on one instance; past it `429`',
  ),
  SSE_MAX_STREAMS: integer(2000, 1).describe(
    'streams one instance keeps open in all; past it `429`',
  ),
};

const modes = {
  // Under the simulator's default capacity (GATEWAY_CAPACITY 50), as MAX_IN_FLIGHT is: one
  // sync checkout holds at most one gateway call at a time.
  SYNC_MAX_IN_FLIGHT: integer(32, 1).describe(
    'sync checkouts one instance runs at once (the bulkhead): each holds at most one gateway ' +
      'call; set it to what the gateway bears from this instance (its capacity ÷ API instances, ' +
      'a little under)',
  ),
  SYNC_QUEUE_LENGTH: integer(64, 0).describe(
    'sync checkouts that may wait for a slot; past it `503` at once',
  ),
  // Short: a shopper refused at once retries, or is sent async by auto mode; one kept waiting
  // seconds for a slot only to be refused is the worst of both.
  SYNC_QUEUE_WAIT_MS: integer(50, 0).describe(
    'longest a sync checkout waits for a slot; then `503` with `Retry-After`, nothing written',
  ),
  CHECKOUT_MODE: z
    .enum(['sync', 'async', 'auto'])
    .default('sync')
    .describe(
      "`sync`, `async` or `auto`: the mode of a deployment's very first boot; after that the " +
        'stored mode (set by admins) rules',
    ),
  SETTINGS_POLL_MS: integer(2000, 50).describe(
    'how often an instance re-reads the runtime settings (mode, backpressure) besides hearing ' +
      '`NOTIFY`',
  ),
  AUTO_ASYNC_ABOVE_IN_FLIGHT: integer(20, 1).describe(
    'auto mode goes async when more sync checkouts than this wait for the gateway on an ' +
      'instance (under `SYNC_MAX_IN_FLIGHT`, checked at boot: auto mode leaves sync before the ' +
      'bulkhead queues), or when a sync checkout was refused within `AUTO_LATENCY_WINDOW_MS`, or ' +
      "when the gateway's p95 passes `AUTO_ASYNC_ABOVE_LATENCY_MS`",
  ),
  AUTO_ASYNC_ABOVE_LATENCY_MS: integer(1000, 1).describe(
    "auto mode goes async when the gateway's p95 over `AUTO_LATENCY_WINDOW_MS` passes this",
  ),
  AUTO_SYNC_BELOW_IN_FLIGHT: integer(5, 0).describe(
    'auto mode comes back to sync once sync checkouts in flight stay at or under this, and the ' +
      "gateway's p95 at or under `AUTO_SYNC_BELOW_LATENCY_MS`, for `AUTO_HOLD_MS`",
  ),
  AUTO_SYNC_BELOW_LATENCY_MS: integer(300, 0).describe(
    "the gateway's p95 auto mode must stay at or under to come back to sync",
  ),
  AUTO_HOLD_MS: integer(30_000, 0).describe(
    'how long the calm must last before auto mode comes back to sync',
  ),
  AUTO_SAMPLE_MS: integer(250, 10).describe('how often auto mode looks at the load'),
  AUTO_LATENCY_WINDOW_MS: integer(5000, 100).describe(
    'the window of gateway calls auto mode takes the p95 of, and in which a refused sync ' +
      'checkout sends it async',
  ),
};

const backpressure = {
  MAX_IN_FLIGHT: integer(32, 1).describe(
    'the ceiling on authorizations a worker holds at once (first boot; then ' +
      '`PUT /admin/backpressure` rules); the limit in force adapts below it to what the gateway ' +
      'bears; past it the worker pauses fetching',
  ),
  ADAPTIVE_LIMIT: flag(true).describe(
    "`false`: the limit in force is the ceiling, whatever the gateway's latency and errors",
  ),
  CONSUMER_MAX_IN_FLIGHT: integer(64, 1).describe(
    'records of other topics (payment results) a worker handles at once',
  ),
};

const watchdog = {
  LOSS_WINDOW_MS: integer(5 * 60_000, 100).describe(
    'how long an async order waits for its payment result before the watchdog looks where its ' +
      'message is (see [Lost or late](architecture.md#lost-or-late)); the last line of defence ' +
      'for a sync order too',
  ),
  // Unset: the longest a sync payment runs while nothing is wrong (see longestSyncPaymentMs).
  SYNC_LOSS_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(100)
    .optional()
    .meta({
      whenUnset: 'derived, 35.3 s with the defaults',
      description:
        'how long a sync order waits for its payment before it is re-driven; unset, the longest ' +
        'its payment runs while nothing is wrong: 2 × (`GATEWAY_TIMEOUT_MS` × ' +
        '`PAYMENT_MAX_ATTEMPTS` + backoffs) + 5 s, at most `LOSS_WINDOW_MS`',
    }),
  WATCHDOG_INTERVAL_MS: integer(1000, 50).describe(
    'how often each instance looks for orders past their window',
  ),
  REDRIVE_LIMIT: integer(3, 0).describe('re-drives before an order is flagged for a human'),
};

const fleet = {
  APP_ROLES: z
    .string()
    .default('api,worker')
    .transform((value) => value.split(',').map((role) => role.trim()))
    .pipe(z.array(z.enum(['api', 'worker'])).min(1))
    .describe('`api` (HTTP API), `worker` (Kafka consumer), or both (`api,worker`)'),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      whenUnset: '`http://127.0.0.1:$PORT`',
      description:
        'how other instances reach this one (the `replyTo` of its async orders); required with ' +
        '`KAFKA_BROKERS` and when `APP_ROLES=api`',
    }),
  INTERNAL_SECRET: z
    .string()
    .min(16, 'at least 16 characters')
    .optional()
    .meta({
      whenUnset: 'random per process',
      description:
        'shared secret of instance-to-instance callbacks (16+ characters), the same on every ' +
        'instance; required with `KAFKA_BROKERS` and when `APP_ROLES` is one role',
    }),
  CALLBACK_TIMEOUT_MS: integer(2000, 1).describe(
    'how long a worker waits when calling an instance back',
  ),
  SHUTDOWN_GRACE_MS: integer(10_000, 0).describe(
    'on SIGTERM: the time the whole shutdown may take (requests, payments and the outbox under ' +
      'way, then closing); the instance exits by itself within it',
  ),
};

const admin = {
  ADMIN_TOKEN: z
    .string()
    .min(16, 'at least 16 characters')
    .optional()
    .describe(
      'one admin token (16+ characters), named `admin` in the audit trail; with none of ' +
        '`ADMIN_TOKEN`, `ADMIN_TOKENS`, `ADMIN_JWKS_URL` the admin API answers `503`',
    ),
  ADMIN_TOKENS: z
    .string()
    .optional()
    .describe(
      'named admin tokens, `alice:<token>,bob:<token>` (each 16+ characters and its own; a name ' +
        'may hold two while one is rotated); the audit trail records the name',
    ),
  ADMIN_JWKS_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "the identity provider's JSON Web Key Set: admins may also sign in with a JWT it signed",
    ),
  ADMIN_JWT_ISSUER: z
    .string()
    .min(1)
    .optional()
    .describe('the `iss` an admin JWT must carry; required with `ADMIN_JWKS_URL`'),
  ADMIN_JWT_AUDIENCE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'the `aud` an admin JWT must carry (this app at the provider); required with ' +
        '`ADMIN_JWKS_URL`',
    ),
  ADMIN_JWT_NAME_CLAIM: z
    .string()
    .min(1)
    .default('sub')
    .describe(
      'the JWT claim the audit trail names the admin by (`email`, `preferred_username`, …): ' +
        '1-64 letters, digits or `. _ @ + -`',
    ),
  ALLOW_PLACEHOLDER_SECRETS: flag(false).describe(
    '`true` lets the example secrets of `docker-compose.yml` and these docs (`change-me-…`) ' +
      'through: a laptop only; otherwise the boot refuses them',
  ),
};

const kafka = {
  KAFKA_BROKERS: z
    .string()
    .regex(/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/, 'host:port[,host:port…]')
    .optional()
    .describe('`host:port,…`; unset: no async mode (switching to it is a `409`)'),
  KAFKA_CLIENT_ID: z.string().min(1).default('peak-checkout').describe('client id prefix'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[\w.-]*$/, 'letters, digits, dots, dashes and underscores')
    .default('')
    .describe('prefix of every topic and of the consumer group, to share a cluster'),
  KAFKA_PARTITIONS: integer(12, 1).describe('partitions of topics created at boot'),
  KAFKA_REPLICATION_FACTOR: integer(1, 1).describe(
    'replication of topics created at boot (3 in production)',
  ),
  KAFKA_MIN_INSYNC_REPLICAS: integer(1, 1).describe(
    '`min.insync.replicas` of those topics (2 in production)',
  ),
  KAFKA_PARTITIONS_CONCURRENTLY: integer(4, 1).describe(
    'partitions whose fetched batches a worker hands out at once (records then run under ' +
      '`MAX_IN_FLIGHT`)',
  ),
  KAFKA_MAX_BYTES_PER_PARTITION: integer(65_536, 16_384).describe(
    'what a worker asks to fetch from one partition at a time (not a hard cap: a larger record ' +
      'batch still comes, one partition per fetch; at least 16384); the records of a batch ' +
      'beyond the free permits are held in memory until permits free, so a larger fetch holds ' +
      'more per paused partition',
  ),
  KAFKA_HANDLER_ATTEMPTS: integer(3, 1).describe(
    "tries in all of a failing record before it goes to the topic's `.dlq`",
  ),
  // Kafka's brokers refuse less than group.min.session.timeout.ms (6 s by default). Short, for
  // fast failover: records run off the fetch loop, which heartbeats while payments run.
  KAFKA_SESSION_TIMEOUT_MS: integer(8000, 6000).describe(
    "how long a worker's consumer may go without a heartbeat before its group drops it and " +
      "hands its partitions to the others (the broker's minimum is 6000): the failover time when " +
      'a worker dies, and the longest stall a live one survives ' +
      '([Failover](runbook.md#failover))',
  ),
  KAFKA_HEARTBEAT_INTERVAL_MS: integer(1000, 100).describe(
    "how often a worker's consumer heartbeats, and so how soon it learns of a rebalance; at " +
      'most a third of the session timeout and half the rebalance timeout',
  ),
  KAFKA_REBALANCE_TIMEOUT_MS: integer(3000, 1000).describe(
    "how long a rebalance waits for the group's members to join again; one not back by then " +
      '(a killed worker, a member a restarted broker still counts) is dropped, a live one that ' +
      'was late joins again',
  ),
};

const outbox = {
  OUTBOX_POLL_MS: integer(500, 10).describe(
    'how often the relay looks for unpublished messages (it is also woken on commit)',
  ),
  OUTBOX_BATCH_SIZE: integer(100, 1).describe('messages the relay publishes at once'),
  // Longer than Kafka's default retention (7 days) plus a segment (7 days): a record can come
  // back that long, and must still be recognised as a duplicate.
  MESSAGE_RETENTION_MS: integer(15 * 24 * 3600 * 1000, 1000).describe(
    'age past which published outbox rows and de-duplication records are deleted; keep it ' +
      "above Kafka's retention plus a segment, so a redelivered record is still known",
  ),
  PRUNE_INTERVAL_MS: integer(60_000, 100).describe(
    'how often published outbox rows and de-duplication records are pruned',
  ),
};

/** The variables in the groups docs/configuration.md shows them in, each with its title. */
export const configurationGroups = [
  { title: 'HTTP', variables: http },
  { title: 'Logs', variables: logs },
  { title: 'Database', variables: database },
  { title: 'Payment gateway', variables: gateway },
  { title: 'Payments', variables: payment },
  { title: 'Order streams', variables: streams },
  { title: 'Sync checkout and checkout mode', variables: modes },
  { title: 'Backpressure', variables: backpressure },
  { title: 'Lost or late orders', variables: watchdog },
  { title: 'Roles, fleet and shutdown', variables: fleet },
  { title: 'Admin credentials', variables: admin },
  { title: 'Kafka', variables: kafka },
  { title: 'Outbox and de-duplication', variables: outbox },
] as const;

/** The whole environment, as `loadConfig` validates it. */
export const environmentSchema = z.object({
  ...http,
  ...logs,
  ...database,
  ...gateway,
  ...payment,
  ...streams,
  ...modes,
  ...backpressure,
  ...watchdog,
  ...fleet,
  ...admin,
  ...kafka,
  ...outbox,
});

/** node-postgres decodes the user and password of a connection URL, and throws on a stray %. */
function percentEncoded(url: string): boolean {
  try {
    const { username, password } = new URL(url);
    decodeURIComponent(username);
    decodeURIComponent(password);
    return true;
  } catch {
    return false;
  }
}
