import { Injectable, NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Histogram, Summary } from 'prom-client';
import { orderAnswerOf } from '../order-answer';
import { Metrics } from './metric-names';

/**
 * Times an order's acceptance from request to the last byte of the answer, labelled with the
 * status actually sent and the checkout mode of the order the answer placed.
 *
 * A middleware, not an interceptor: a route with an interceptor runs every request through
 * Nest's interceptor chain (RxJS streams, two `AsyncResource.bind` each, which Node 20 also
 * wraps in a deprecation), about 3 % of an accepting process's work at the peak.
 */
@Injectable()
export class AcceptLatencyMiddleware implements NestMiddleware {
  constructor(
    @InjectMetric(Metrics.acceptSeconds) private readonly seconds: Histogram<'mode' | 'status'>,
    @InjectMetric(Metrics.acceptRecentSeconds) private readonly recent: Summary,
  ) {}

  use(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const stop = this.seconds.startTimer();
    response.once('finish', () => {
      const mode = orderAnswerOf(response)?.checkoutMode ?? 'none';
      const seconds = stop({ mode, status: String(response.statusCode) });
      if (response.statusCode === 201 || response.statusCode === 202) this.recent.observe(seconds);
    });
    next();
  }
}
