import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Notice, NotificationChannel } from '../notification-channel';

/** Default SMS channel: no outside service; the notice is recorded and logged. */
@Injectable()
export class LoggedSmsChannel implements NotificationChannel {
  readonly name = 'sms';

  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext(LoggedSmsChannel.name);
  }

  send(notice: Notice): Promise<void> {
    this.logger.info({ orderId: notice.orderId, to: notice.userId, text: notice.text }, 'sms sent');
    return Promise.resolve();
  }
}
