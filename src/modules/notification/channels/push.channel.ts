import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { unsealReplyTo } from '../../../http/fleet-reply-to';
import { InstanceAddress } from '../../../http/instance-address';
import { SpanKind } from '@opentelemetry/api';
import { inSpan } from '../../../runtime/tracing/in-span';
import { Metrics } from '../../../runtime/metrics/metric-names';
import { ORDER_UPDATES_PATH, OrderStreams } from '../../order';
import { Notice, NotificationChannel } from '../notification-channel';
import { OrderUpdateCalls } from './order-update-calls';

/**
 * Pushes the notice to the browsers following the order on this instance when this instance
 * accepted it (or it names none), or else calls back the instance that did (its `replyTo`),
 * together with the other updates due there (OrderUpdateCalls): the fast path to the shopper
 * who stayed where they ordered. Streams on every other API instance hear the result from the
 * order module's notice when the order settles; if both fail, the stream and the next read
 * show it from the database.
 * It calls back only an address its own fleet sealed: the call carries the fleet's secret.
 */
@Injectable()
export class PushChannel implements NotificationChannel {
  readonly name = 'push';

  constructor(
    private readonly streams: OrderStreams,
    private readonly address: InstanceAddress,
    private readonly calls: OrderUpdateCalls,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
    @InjectMetric(Metrics.callbackFailures) private readonly callbackFailures: Counter,
  ) {
    this.logger.setContext(PushChannel.name);
  }

  async send(notice: Notice): Promise<void> {
    const { event } = notice;
    if (!notice.replyTo || this.isOwn(notice.replyTo)) {
      const reached = this.streams.push(notice.orderId, event);
      this.logger.info({ orderId: notice.orderId, streams: reached }, 'pushed to open streams');
      return;
    }
    const address = unsealReplyTo(notice.replyTo, this.config.callbacks.internalSecret);
    if (!address) {
      this.logger.warn(
        { orderId: notice.orderId, replyTo: notice.replyTo },
        'no callback: the replyTo was not sealed by this fleet (another INTERNAL_SECRET, or ' +
          'not an instance at all); streams get the result by NOTIFY',
      );
      return;
    }
    try {
      const attributes = { 'order.id': notice.orderId };
      const reached = await inSpan('call back', { kind: SpanKind.CLIENT, attributes }, () =>
        this.calls.call(address, { orderId: notice.orderId, event }),
      );
      this.logger.info(
        { orderId: notice.orderId, replyTo: address, streams: reached },
        'called back',
      );
    } catch (error) {
      this.callbackFailures.inc();
      this.logger.warn(
        { orderId: notice.orderId, replyTo: address, error: String(error) },
        'callback failed; the shopper gets the result from the database on the next read',
      );
      throw error;
    }
  }

  /** This instance's own address: its streams are here, and a call to itself would be waste. */
  private isOwn(replyTo: string): boolean {
    if (!this.config.roles.api) return false;
    try {
      return replyTo === this.address.replyTo(ORDER_UPDATES_PATH);
    } catch {
      // Not listening yet (a result from before a restart, consumed at boot): no stream is open.
      return false;
    }
  }
}
