import { ApiProperty } from '@nestjs/swagger';

export class StuckOrderView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'shopper-42' }) userId!: string;
  @ApiProperty({ enum: ['sync', 'async'] }) mode!: string;
  @ApiProperty({ description: 'The payment attempt waited for (retries add one).' })
  paymentAttempt!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ description: 'Seconds since the order was placed.' }) waitingSeconds!: number;
  @ApiProperty({ description: 'Times its payment was asked for again.' }) redrives!: number;
  @ApiProperty({ description: 'When, with no result, it is re-driven (again).' })
  watchUntil!: Date;
  @ApiProperty({
    nullable: true,
    type: Date,
    description: 'Set once every re-drive went unanswered: a human has to look.',
  })
  needsAttentionAt!: Date | null;
}
