/** How an order is accepted: paid before the answer, or over Kafka after it. */
export const CHECKOUT_MODES = ['sync', 'async'] as const;
export type CheckoutMode = (typeof CHECKOUT_MODES)[number];

/** What an admin sets: a mode, or auto (each instance picks by its load). */
export const MODE_SETTINGS = ['sync', 'async', 'auto'] as const;
export type ModeSetting = (typeof MODE_SETTINGS)[number];
