/** Metric names share one prefix and name their unit; labels stay few (never an order id). */
export const Metrics = {
  acceptSeconds: 'checkout_accept_seconds',
  ordersSettled: 'checkout_orders_settled_total',
  gatewaySeconds: 'payment_gateway_seconds',
  streamsOpen: 'checkout_order_streams_open',
  messagesProduced: 'kafka_messages_produced_total',
  messagesConsumed: 'kafka_messages_consumed_total',
  consumerLag: 'kafka_consumer_lag_messages',
  outboxBacklog: 'outbox_backlog_messages',
  callbackFailures: 'checkout_callback_failures_total',
  mode: 'checkout_mode',
  permitsInUse: 'backpressure_permits_in_use',
  permitLimit: 'backpressure_permit_limit',
  permitWaitSeconds: 'backpressure_permit_wait_seconds',
  pausedPartitions: 'kafka_paused_partitions',
} as const;
