import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { Response } from 'express';

/** What body-parser throws for a client's bad body (see its README, "Errors"). */
interface BodyParserError {
  type: string;
  status: number;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const { type, status } = (error ?? {}) as Partial<BodyParserError>;
  return typeof type === 'string' && type.startsWith('entity.') && typeof status === 'number';
}

/**
 * An oversized body (or one in an unsupported encoding) is the client's mistake: answer it with a message that says
 * what to fix, and do not log it as a server error. Malformed JSON Nest already answers as a 400; everything else goes to Nest's handling.
 */
@Catch()
export class BodyErrorFilter extends BaseExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    if (!isBodyParserError(error) || host.getType() !== 'http') {
      super.catch(error, host);
      return;
    }
    const message =
      error.type === 'entity.too.large'
        ? `Request body is larger than the limit of ${error.limit} bytes.`
        : (error as unknown as Error).message;
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(error.status)
      .json({ statusCode: error.status, error: 'Bad Request Body', message });
  }
}
