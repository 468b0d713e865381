import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The shape of every error answer, Nest's own and ours alike. */
export class ErrorBody {
  @ApiProperty({ example: 415 })
  statusCode!: number;

  @ApiProperty({ example: 'Unsupported Media Type' })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What to change: one sentence, or one per invalid field.',
    example: 'Send the body as JSON with Content-Type: application/json (got text/plain).',
  })
  message!: string | string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'What a client can act on without reading `message`: the order under way ' +
      '(409 OrderUnderWay: `orderId`), the stream limit reached (429: `limit`, `shopper` or ' +
      '`instance`, and its `max`), the product short of stock (409: `sku`, `left`, `requested`).',
    example: { orderId: '0b6c5f3e-4a57-4c1e-9a57-2f1d3c8e9b10' },
  })
  details?: Record<string, unknown>;
}
