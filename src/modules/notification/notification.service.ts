import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Notice, NOTIFICATION_CHANNELS, NotificationChannel } from './notification-channel';
import { Notification } from './notification.entity';

/** Sends a notice on every channel, once per order, channel and kind, and records each send. */
@Injectable()
export class NotificationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(NOTIFICATION_CHANNELS) private readonly channels: NotificationChannel[],
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(NotificationService.name);
  }

  /**
   * Records the notice as pending, then sends it. A notice already recorded for the channel is
   * not sent again, so a redelivered result does not notify the shopper twice.
   */
  async notify(notice: Notice): Promise<void> {
    for (const channel of this.channels) {
      const id = randomUUID();
      const recorded = await this.dataSource
        .createQueryBuilder()
        .insert()
        .into(Notification)
        .values({
          id,
          orderId: notice.orderId,
          userId: notice.userId,
          channel: channel.name,
          kind: notice.kind,
          body: notice.text,
          status: 'PENDING',
        })
        .orIgnore()
        .returning(['id'])
        .execute();
      if ((recorded.raw as unknown[]).length === 0) continue;
      try {
        await channel.send(notice);
        await this.dataSource.manager.update(
          Notification,
          { id },
          { status: 'SENT', sentAt: new Date() },
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.error(
          { orderId: notice.orderId, channel: channel.name, error: message },
          'send failed',
        );
        await this.dataSource.manager.update(
          Notification,
          { id },
          { status: 'FAILED', error: message },
        );
      }
    }
  }
}
