/** Every topic the app speaks, in one place (the Kafka topic names of async mode). */
export const Topics = {
  paymentOrder: 'payment.order',
  paymentResult: 'payment.result',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];
