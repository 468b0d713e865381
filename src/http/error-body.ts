import { ApiProperty } from '@nestjs/swagger';

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
}
