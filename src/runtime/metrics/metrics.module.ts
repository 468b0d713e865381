import { DynamicModule, Global, Module } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  makeSummaryProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { Metrics } from './metric-names';

const providers = [
  makeHistogramProvider({
    name: Metrics.acceptSeconds,
    help: 'Time from POST /orders to its answer, by checkout mode and HTTP status.',
    labelNames: ['mode', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  makeSummaryProvider({
    name: Metrics.acceptRecentSeconds,
    help: 'Time to answer an accepted order (201 or 202): quantiles over the last 10 seconds.',
    percentiles: [0.5, 0.95, 0.99],
    maxAgeSeconds: 10,
    ageBuckets: 5,
  }),
  makeCounterProvider({
    name: Metrics.ordersSettled,
    help: 'Orders that reached a final status, by status.',
    labelNames: ['status'],
  }),
  makeHistogramProvider({
    name: Metrics.gatewaySeconds,
    help: 'Payment gateway authorization calls, by result.',
    labelNames: ['result'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  makeGaugeProvider({
    name: Metrics.gatewayCircuitState,
    help:
      'The circuit to the payment gateway in this process: 0 closed, 1 half-open (a probe ' +
      'call decides), 2 open (no call is sent; sync checkouts are refused with 503).',
  }),
  makeGaugeProvider({
    name: Metrics.syncBulkheadInUse,
    help: 'Sync checkouts running on this instance (at most SYNC_MAX_IN_FLIGHT).',
  }),
  makeGaugeProvider({
    name: Metrics.syncBulkheadQueued,
    help: 'Sync checkouts waiting for a slot of the bulkhead (at most SYNC_QUEUE_WAIT_MS each).',
  }),
  makeCounterProvider({
    name: Metrics.syncRefused,
    help:
      'Sync checkouts refused with 503 before any order was written, by reason (capacity: ' +
      'no slot within SYNC_QUEUE_WAIT_MS; circuit_open: the gateway circuit is open).',
    labelNames: ['reason'],
  }),
  makeGaugeProvider({
    name: Metrics.simulatorCharges,
    help:
      'Charges the simulated gateway in this process holds (approved, not voided); summed ' +
      'over the workers it should equal the PAID orders, more is a double charge.',
  }),
  makeGaugeProvider({
    name: Metrics.streamsOpen,
    help: 'SSE order streams open on this instance.',
  }),
  makeCounterProvider({
    name: Metrics.streamsRefused,
    help: 'SSE order streams refused with 429, by the limit reached (shopper, instance).',
    labelNames: ['limit'],
  }),
  makeCounterProvider({
    name: Metrics.messagesProduced,
    help: 'Messages published to Kafka by the outbox relay, by topic.',
    labelNames: ['topic'],
  }),
  makeCounterProvider({
    name: Metrics.messagesConsumed,
    help: 'Kafka records consumed, by topic and result (ok, dead_lettered, no_handler).',
    labelNames: ['topic', 'result'],
  }),
  makeGaugeProvider({
    name: Metrics.consumerLag,
    help: "Records on a partition not yet committed by this app's consumer group.",
    labelNames: ['topic', 'partition'],
  }),
  makeGaugeProvider({
    name: Metrics.partitionsConsumed,
    help:
      "Partitions this worker's consumer takes records from: its assignment while it is a " +
      'member of its group; 0 while it boots, rebalances or restarts after a crash, and on an ' +
      'API instance. Summed over the fleet, 0 means no worker consumes.',
  }),
  makeGaugeProvider({
    name: Metrics.deadLettersWaiting,
    help:
      'Dead letters of this deployment not yet replayed (all instances), as this instance ' +
      'last counted: records no retry could process, waiting for an admin.',
  }),
  makeGaugeProvider({
    name: Metrics.outboxBacklog,
    help: 'Outbox messages not yet published to Kafka.',
  }),
  makeCounterProvider({
    name: Metrics.callbackFailures,
    help: 'Results a worker could not push back to the instance that accepted the order.',
  }),
  makeGaugeProvider({
    name: Metrics.mode,
    help: 'The checkout mode this instance routes new orders in (1 for the current mode).',
    labelNames: ['mode'],
  }),
  makeGaugeProvider({
    name: Metrics.permitsInUse,
    help: 'Records a worker holds a permit for (payment.order: authorizations under way), by topic.',
    labelNames: ['topic'],
  }),
  makeGaugeProvider({
    name: Metrics.permitLimit,
    help: 'Permits a worker may hold at once, by topic (payment.order: the adaptive limit in force, at most the ceiling).',
    labelNames: ['topic'],
  }),
  makeGaugeProvider({
    name: Metrics.permitCeiling,
    help: "The admin's ceiling on a worker's permits (MAX_IN_FLIGHT for payment.order), by topic.",
    labelNames: ['topic'],
  }),
  makeHistogramProvider({
    name: Metrics.permitWaitSeconds,
    help: 'Time a fetched record waited for a permit before it ran, by topic.',
    labelNames: ['topic'],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  makeGaugeProvider({
    name: Metrics.pausedPartitions,
    help: 'Partitions this worker stopped fetching because no permit was free, by topic.',
    labelNames: ['topic'],
  }),
  makeCounterProvider({
    name: Metrics.ordersOverdue,
    help: 'Orders with no payment result inside LOSS_WINDOW_MS, by action (redriven, flagged).',
    labelNames: ['action'],
  }),
  makeGaugeProvider({
    name: Metrics.ordersWaiting,
    help: 'Orders waiting for their payment (all instances), as the watchdog last counted.',
  }),
  makeGaugeProvider({
    name: Metrics.ordersNeedingAttention,
    help: 'Orders re-driven REDRIVE_LIMIT times with no result: a human has to look.',
  }),
  makeCounterProvider({
    name: Metrics.ordersLost,
    help:
      'Orders found lost past their deadline (then re-driven or flagged), by where their ' +
      'payment stood: in_process (a sync payment whose process is gone), unpublished, passed ' +
      '(the workers committed past its message), untracked.',
    labelNames: ['standing'],
  }),
  makeGaugeProvider({
    name: Metrics.ordersLate,
    help:
      'Async orders past LOSS_WINDOW_MS whose message is still queued (or cannot be placed ' +
      'now): late, not lost, so not re-driven. As the watchdog last looked.',
  }),
  makeGaugeProvider({
    name: Metrics.lateMessagesAhead,
    help: "The most records ahead of a late order's message on its partition.",
  }),
];

/**
 * prom-client's process metrics that are gauges named `_total`, a suffix Prometheus keeps for
 * counters (`promtool check metrics` rejects them). Each is the sum over `type` of a gauge it
 * also exports: `sum without (type) (nodejs_active_handles)` and so on.
 */
const GAUGES_NAMED_AS_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Serves /metrics (Prometheus text format) and makes the app's own metrics injectable. */
@Global()
@Module({})
export class MetricsModule {
  /** Registers the process metrics when the app is built, not when this file is imported. */
  static forRoot(): DynamicModule {
    const prometheus = PrometheusModule.register({
      path: '/metrics',
      defaultMetrics: { enabled: true },
    });
    for (const name of GAUGES_NAMED_AS_COUNTERS) register.removeSingleMetric(name);
    return {
      module: MetricsModule,
      imports: [prometheus],
      providers,
      exports: providers,
    };
  }
}
