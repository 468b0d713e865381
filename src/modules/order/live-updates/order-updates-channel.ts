import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { DatabaseNotifications } from '../../../database/database-notifications';
import { OrderStreamEvent } from './order-result';
import { OrderStreams } from './order-streams';

const CHANNEL = 'order_updates';

interface OrderUpdateNotice {
  orderId: string;
  event: OrderStreamEvent;
}

/**
 * Order updates for the whole fleet: announced by the transaction that makes them (so only
 * once it commits), heard by every API instance, which pushes them to the streams it holds.
 * A shopper's stream may be open on any instance, not only the one that took the order.
 */
@Injectable()
export class OrderUpdatesChannel implements OnModuleInit {
  constructor(
    private readonly notifications: DatabaseNotifications,
    private readonly streams: OrderStreams,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(OrderUpdatesChannel.name);
  }

  async onModuleInit(): Promise<void> {
    // Streams are served by API instances only.
    if (this.config.roles.api) await this.notifications.listen(CHANNEL, (p) => this.heard(p));
  }

  /** Announces `event` for the order once the transaction of `manager` commits. */
  async announce(manager: EntityManager, orderId: string, event: OrderStreamEvent): Promise<void> {
    const notice: OrderUpdateNotice = { orderId, event };
    let payload = JSON.stringify(notice);
    // NOTIFY carries under 8000 bytes; reasons are the only open-ended part.
    if (Buffer.byteLength(payload) > 7000) {
      payload = JSON.stringify({
        orderId,
        event: { ...event, data: { ...event.data, reasons: [] } },
      });
    }
    await this.notifications.notify(manager, CHANNEL, payload);
  }

  private heard(payload: string): void {
    const { orderId, event } = JSON.parse(payload) as OrderUpdateNotice;
    const reached = this.streams.push(orderId, event);
    if (reached > 0) this.logger.info({ orderId, streams: reached }, 'pushed to open streams');
  }
}
