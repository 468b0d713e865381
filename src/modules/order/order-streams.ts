import { Injectable, MessageEvent } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';

/**
 * The live streams of orders followed on this instance: what is pushed for an order reaches
 * every browser that has its SSE stream open here.
 */
@Injectable()
export class OrderStreams {
  private readonly streams = new Map<string, { subject: Subject<MessageEvent>; followers: number }>();

  /** Pushes an event to the order's open streams; returns how many received it. */
  push(orderId: string, event: MessageEvent): number {
    const stream = this.streams.get(orderId);
    stream?.subject.next(event);
    return stream?.followers ?? 0;
  }

  updatesOf(orderId: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const stream = this.streams.get(orderId) ?? { subject: new Subject<MessageEvent>(), followers: 0 };
      stream.followers += 1;
      this.streams.set(orderId, stream);
      const subscription = stream.subject.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        stream.followers -= 1;
        if (stream.followers === 0) this.streams.delete(orderId);
      };
    });
  }

  /** How many streams are open on this instance. */
  openStreams(): number {
    let open = 0;
    for (const stream of this.streams.values()) open += stream.followers;
    return open;
  }
}
