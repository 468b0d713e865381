import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ServerResponse } from 'node:http';
import { answerJson } from './node-http';
import { DomainError, DomainErrorKind } from '../runtime/domain-error';

const STATUS: Record<DomainErrorKind, HttpStatus> = {
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  too_many: HttpStatus.TOO_MANY_REQUESTS,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

/** Turns a domain failure into the same JSON shape Nest uses for its own HTTP errors. */
@Catch(DomainError)
export class DomainErrorFilter implements ExceptionFilter {
  catch(error: DomainError, host: ArgumentsHost): void {
    const status = STATUS[error.kind];
    const response = host.switchToHttp().getResponse<FastifyReply | ServerResponse>();
    answerJson(
      response,
      status,
      {
        statusCode: status,
        error: error.name.replace(/Error$/, ''),
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      },
      error.retryAfterSeconds === undefined
        ? {}
        : { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
}
