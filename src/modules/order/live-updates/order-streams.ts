import { Injectable, MessageEvent } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Gauge } from 'prom-client';
import { filter, Observable, Subject } from 'rxjs';
import { Metrics } from '../../../runtime/metrics/metric-names';
import { inSpanNow } from '../../../runtime/tracing/in-span';

/**
 * The live streams of orders followed on this instance: what is pushed for an order reaches
 * every browser that has its SSE stream open here. An update may arrive by more than one road
 * (a worker's callback and the fleet's notice); a stream shows an event `id` once.
 */
@Injectable()
export class OrderStreams {
  private readonly streams = new Map<
    string,
    { subject: Subject<MessageEvent>; followers: number }
  >();

  constructor(@InjectMetric(Metrics.streamsOpen) private readonly open: Gauge) {}

  /** Pushes an event to the order's open streams; returns how many follow it here. */
  push(orderId: string, event: MessageEvent): number {
    return inSpanNow('push to streams', { attributes: { 'order.id': orderId } }, (span) => {
      const stream = this.streams.get(orderId);
      stream?.subject.next(event);
      span.setAttribute('order.streams_reached', stream?.followers ?? 0);
      return stream?.followers ?? 0;
    });
  }

  updatesOf(orderId: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const stream = this.streams.get(orderId) ?? {
        subject: new Subject<MessageEvent>(),
        followers: 0,
      };
      stream.followers += 1;
      this.open.inc();
      this.streams.set(orderId, stream);
      const shown = new Set<string>();
      const subscription = stream.subject
        .pipe(filter((event) => firstShowing(shown, event)))
        .subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        stream.followers -= 1;
        this.open.dec();
        if (stream.followers === 0) this.streams.delete(orderId);
      };
    });
  }
}

function firstShowing(shown: Set<string>, { id }: MessageEvent): boolean {
  if (id === undefined) return true;
  if (shown.has(id)) return false;
  shown.add(id);
  return true;
}
