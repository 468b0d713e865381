import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { OrderStreams } from '../../order';
import { Notice, NotificationChannel } from '../notification-channel';

/** Pushes the notice to the order's SSE streams open on this instance. */
@Injectable()
export class PushChannel implements NotificationChannel {
  readonly name = 'push';

  constructor(
    private readonly streams: OrderStreams,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(PushChannel.name);
  }

  send(notice: Notice): Promise<void> {
    const reached = this.streams.push(notice.orderId, { type: 'result', data: notice.data });
    this.logger.info({ orderId: notice.orderId, streams: reached }, 'pushed to open streams');
    return Promise.resolve();
  }
}
