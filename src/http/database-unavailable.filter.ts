import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ServerResponse } from 'node:http';
import { answerJson } from './node-http';
import { DatabaseOutage } from '../database/database-outage';

/** Long enough for a database restart or failover, short enough that a shopper waits. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * While the database is unreachable a request cannot be served, but that is no bug of ours:
 * it is answered 503 with Retry-After, in the shape of every other error, and without a stack
 * trace per request (DatabaseOutage logs the outage once). Anything else, a query the database
 * refused included, goes to the filter it wraps.
 */
@Catch()
export class DatabaseUnavailableFilter implements ExceptionFilter {
  constructor(
    private readonly outage: DatabaseOutage,
    private readonly otherwise: ExceptionFilter,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http' || !this.outage.explains(error)) {
      this.otherwise.catch(error, host);
      return;
    }
    const status = HttpStatus.SERVICE_UNAVAILABLE;
    answerJson(
      host.switchToHttp().getResponse<FastifyReply | ServerResponse>(),
      status,
      {
        statusCode: status,
        error: 'Service Unavailable',
        message: `The database is unreachable; retry in ${RETRY_AFTER_SECONDS} seconds.`,
      },
      { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    );
  }
}
