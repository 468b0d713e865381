import {
  applyDecorators,
  BadRequestException,
  createParamDecorator,
  ExecutionContext,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors } from '../../../http/api-errors';
import { headerOf } from '../../../http/node-http';

const KEY = /^[\x21-\x7e]{1,128}$/;

/** The `Idempotency-Key` header: required, 1-128 printable ASCII characters. */
export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const value = headerOf(ctx.switchToHttp().getRequest<FastifyRequest>(), 'idempotency-key');
  if (value === undefined || value === '') {
    throw new BadRequestException(
      'The Idempotency-Key header is required: send a new unique value (a UUID) per order, ' +
        'and the same value when retrying it.',
    );
  }
  if (!KEY.test(value)) {
    throw new BadRequestException('Idempotency-Key must be 1-128 printable ASCII characters.');
  }
  return value;
});

/** OpenAPI: documents the `Idempotency-Key` header of a route, and its refusal. */
export const ApiIdempotencyKey = (description: string) =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: true,
      description,
      schema: { type: 'string', minLength: 1, maxLength: 128, pattern: KEY.source },
    }),
    ApiErrors({ 400: 'The Idempotency-Key header is missing or malformed.' }),
  );
