export { NotificationModule } from './notification.module';
export {
  NOTIFICATION_CHANNELS,
  type Notice,
  type NotificationChannel,
} from './notification-channel';
