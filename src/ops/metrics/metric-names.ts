/** Metric names share one prefix and name their unit; labels stay few (never an order id). */
export const Metrics = {
  acceptSeconds: 'checkout_accept_seconds',
  ordersSettled: 'checkout_orders_settled_total',
  gatewaySeconds: 'payment_gateway_seconds',
  streamsOpen: 'checkout_order_streams_open',
} as const;
