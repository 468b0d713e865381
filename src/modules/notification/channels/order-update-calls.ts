import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { INTERNAL_SECRET_HEADER } from '../../../http/internal-secret.guard';
import { withTraceHeaders } from '../../../runtime/tracing/trace-context';
import { MAX_ORDER_UPDATES_PER_CALL, OrderUpdate, STREAMS_REACHED_HEADER } from '../../order';

/**
 * The calls back to the instances that accepted orders: the updates due to one instance in one
 * turn of the event loop go in one call. A worker settles a shared transaction's orders together,
 * and their notices come due together; one call each cost the worker an eighth of its time and
 * the instance called a quarter of a core (docs/benchmarks).
 *
 * The call carries the trace context of the first update in it (the others' spans end with it).
 */
@Injectable()
export class OrderUpdateCalls {
  /** An address's updates not yet sent; the batch leaves this map when it is sent. */
  private readonly pending = new Map<string, DataLoader<OrderUpdate, number>>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Sends `update` to `address` with the others due there now; resolves to streams reached. */
  call(address: string, update: OrderUpdate): Promise<number> {
    let batch = this.pending.get(address);
    if (!batch) {
      batch = new DataLoader((updates) => this.send(address, updates), {
        cache: false,
        maxBatchSize: MAX_ORDER_UPDATES_PER_CALL,
      });
      this.pending.set(address, batch);
    }
    return batch.load(update);
  }

  private async send(address: string, updates: readonly OrderUpdate[]): Promise<number[]> {
    // Updates that come due while this call is under way go in a batch of their own.
    this.pending.delete(address);
    const response = await fetch(address, {
      method: 'POST',
      headers: withTraceHeaders({
        'Content-Type': 'application/json',
        [INTERNAL_SECRET_HEADER]: this.config.callbacks.internalSecret,
      }),
      body: JSON.stringify({ updates }),
      signal: AbortSignal.timeout(this.config.callbacks.timeoutMs),
      // A redirect would carry the secret to an address nobody sealed.
      redirect: 'error',
    });
    if (!response.ok) throw new Error(`${address} answered ${response.status}`);
    const reached = (response.headers.get(STREAMS_REACHED_HEADER) ?? '').split(',').map(Number);
    return updates.map((_, index) => reached[index] ?? 0);
  }
}
