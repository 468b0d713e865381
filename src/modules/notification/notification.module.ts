import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrderModule } from '../order';
import { LoggedMailChannel } from './channels/logged-mail.channel';
import { LoggedSmsChannel } from './channels/logged-sms.channel';
import { OrderUpdateCalls } from './channels/order-update-calls';
import { PushChannel } from './channels/push.channel';
import { NOTIFICATION_CHANNELS } from './notification-channel';
import { Notification } from './notification.entity';
import { NotificationHandlers } from './notification.handlers';
import { NotificationService } from './notification.service';

/** Tells the shopper what became of their order: push to the browser, mail, SMS. */
@Module({
  imports: [TypeOrmModule.forFeature([Notification]), OrderModule],
  controllers: [NotificationHandlers],
  providers: [
    NotificationService,
    OrderUpdateCalls,
    PushChannel,
    LoggedMailChannel,
    LoggedSmsChannel,
    {
      provide: NOTIFICATION_CHANNELS,
      useFactory: (push: PushChannel, mail: LoggedMailChannel, sms: LoggedSmsChannel) => [
        push,
        mail,
        sms,
      ],
      inject: [PushChannel, LoggedMailChannel, LoggedSmsChannel],
    },
  ],
})
export class NotificationModule {}
