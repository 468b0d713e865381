import type { OrderStreamEvent } from '../order';

export type ChannelName = 'push' | 'mail' | 'sms';

/** What the shopper is told, whatever the channel. */
export interface Notice {
  orderId: string;
  userId: string;
  kind: string;
  subject: string;
  text: string;
  /** What the browsers following the order are pushed. */
  event: OrderStreamEvent;
  /** The instance to call back with the push, when another instance accepted the order. */
  replyTo: string | null;
}

/**
 * A way to reach the shopper. The defaults record and log; a deployment swaps in a real mail
 * or SMS provider by providing another implementation under the same token.
 */
export interface NotificationChannel {
  readonly name: ChannelName;
  send(notice: Notice): Promise<void>;
}

export const NOTIFICATION_CHANNELS = Symbol('NOTIFICATION_CHANNELS');
