import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Notice, NotificationChannel } from '../notification-channel';

/** Default mail channel: no outside service; the notice is recorded and logged. */
@Injectable()
export class LoggedMailChannel implements NotificationChannel {
  readonly name = 'mail';

  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext(LoggedMailChannel.name);
  }

  send(notice: Notice): Promise<void> {
    this.logger.info(
      { orderId: notice.orderId, to: notice.userId, subject: notice.subject },
      'mail sent',
    );
    return Promise.resolve();
  }
}
