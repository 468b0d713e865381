import {
  applyDecorators,
  BadRequestException,
  createParamDecorator,
  ExecutionContext,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors } from './api-errors';
import { headerOf } from './node-http';

export const SHOPPER_HEADER = 'x-user-id';
const SHOPPER_ID = /^[A-Za-z0-9_.@:-]{1,64}$/;

/**
 * The shopper's id, set by the upstream gateway that authenticated them. Missing: 401;
 * malformed: 400. A shopper only ever sees their own cart and orders.
 */
export const ShopperId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const value = headerOf(ctx.switchToHttp().getRequest<FastifyRequest>(), SHOPPER_HEADER);
  if (value === undefined || value === '') {
    throw new UnauthorizedException(
      'The X-User-Id header is required (set by the upstream gateway).',
    );
  }
  if (!SHOPPER_ID.test(value)) {
    throw new BadRequestException(
      'X-User-Id must be 1-64 characters of letters, digits and . _ @ : -',
    );
  }
  return value;
});

/** OpenAPI: documents the shopper header on a controller or route, and its refusals. */
export const ApiShopper = () =>
  applyDecorators(
    ApiHeader({
      name: 'X-User-Id',
      required: true,
      description: 'Shopper id, set by the upstream gateway.',
      schema: { type: 'string', pattern: SHOPPER_ID.source },
    }),
    ApiErrors({
      400: 'X-User-Id is malformed.',
      401: 'No shopper: the X-User-Id header is missing.',
    }),
  );
