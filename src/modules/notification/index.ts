/**
 * Notification: tells the shopper how their payment ended, through every channel (push to the
 * order's live streams, mail, SMS), once per result, kept as notices.
 *
 * Offers: the channel contract (`NotificationChannel`, `NOTIFICATION_CHANNELS`). Listens to
 * `payment.result`.
 */
export { NotificationModule } from './notification.module';
export {
  NOTIFICATION_CHANNELS,
  type Notice,
  type NotificationChannel,
} from './notification-channel';
