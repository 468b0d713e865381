import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Response } from 'express';
import { Histogram, Summary } from 'prom-client';
import { Observable } from 'rxjs';
import { Metrics } from './metric-names';

/**
 * Times an order's acceptance from request to the last byte of the answer, labelled with the
 * status actually sent and the checkout mode the handler recorded in `response.locals`.
 */
@Injectable()
export class AcceptLatencyInterceptor implements NestInterceptor {
  constructor(
    @InjectMetric(Metrics.acceptSeconds) private readonly seconds: Histogram<'mode' | 'status'>,
    @InjectMetric(Metrics.acceptRecentSeconds) private readonly recent: Summary,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<Response>();
    const stop = this.seconds.startTimer();
    response.once('finish', () => {
      const mode = (response.locals.checkoutMode as string | undefined) ?? 'none';
      const seconds = stop({ mode, status: String(response.statusCode) });
      if (response.statusCode === 201 || response.statusCode === 202) this.recent.observe(seconds);
    });
    return next.handle();
  }
}
