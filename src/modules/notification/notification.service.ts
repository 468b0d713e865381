import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { PLANNED_AT_EACH_CALL } from '../../database/prepared-statements';
import { UnitOfWork } from '../../messaging';
import { Notice, NOTIFICATION_CHANNELS, NotificationChannel } from './notification-channel';

/** Sends a notice on every channel, once per order, channel and kind, and records each send. */
@Injectable()
export class NotificationService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    @Inject(NOTIFICATION_CHANNELS) private readonly channels: NotificationChannel[],
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(NotificationService.name);
  }

  /**
   * Records the notice as pending on every channel, sends it on those where it is new, and
   * records what became of each: a statement before and one after, whatever the number of
   * channels, as every paid order at peak comes here. The record joins `group`'s transaction
   * (UnitOfWork.runInGroup: the handlers of the message that asks for the notice); what became
   * of the sends, one shared with other orders' notices. A notice already recorded for a channel
   * is not sent again, so a redelivered result does not notify the shopper twice.
   */
  async notify(notice: Notice, group: string): Promise<void> {
    const recorded = await this.recordedTogether<{ id: string; channel: string }>(
      group,
      `INSERT INTO notifications (id, order_id, user_id, channel, kind, body, status)
       SELECT unnest($1::uuid[]), $2, $3, unnest($4::varchar[]), $5, $6, 'PENDING'
       ON CONFLICT (order_id, channel, kind) DO NOTHING
       RETURNING id, channel`,
      [
        this.channels.map(() => randomUUID()),
        notice.orderId,
        notice.userId,
        this.channels.map((channel) => channel.name),
        notice.kind,
        notice.text,
      ],
    );
    const sends = await Promise.all(
      recorded.map(async ({ id, channel: name }) => {
        const channel = this.channels.find((c) => c.name === name)!;
        try {
          await channel.send(notice);
          return { id, error: null };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.logger.error(
            { orderId: notice.orderId, channel: name, error: message },
            'send failed',
          );
          return { id, error: message };
        }
      }),
    );
    if (sends.length === 0) return;
    await this.recordedTogether(
      'notices',
      `${PLANNED_AT_EACH_CALL}
       UPDATE notifications n
          SET status = CASE WHEN s.error IS NULL THEN 'SENT' ELSE 'FAILED' END,
              sent_at = CASE WHEN s.error IS NULL THEN now() END,
              error = s.error
         FROM unnest($1::uuid[], $2::text[]) AS s (id, error)
        WHERE n.id = s.id`,
      [sends.map((s) => s.id), sends.map((s) => s.error)],
    );
  }

  /** Runs one statement in a transaction it shares with the other units of `group`. */
  private recordedTogether<Row>(group: string, text: string, values: unknown[]): Promise<Row[]> {
    return this.unitOfWork.runInGroup(group, ({ manager }) => manager.query<Row[]>(text, values));
  }
}
