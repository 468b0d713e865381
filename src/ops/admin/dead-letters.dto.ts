import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { DeadLetterState } from '../../messaging/dead-letters/dead-letters';

const STATES: DeadLetterState[] = ['waiting', 'replayed', 'all'];

export class DeadLetterQuery {
  @ApiProperty({ enum: STATES, required: false, default: 'waiting' })
  @IsOptional()
  @IsIn(STATES, { message: `state must be one of: ${STATES.join(', ')}` })
  state: DeadLetterState = 'waiting';

  @ApiProperty({ type: 'integer', required: false, default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(1000, { message: 'limit must be at most 1000' })
  limit = 100;
}

export class DeadLetterView {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty({ example: 'payment.order' }) topic!: string;
  @ApiProperty() partition!: number;
  @ApiProperty({ example: '1234' }) offset!: string;
  @ApiProperty({ description: 'The record key: the order id.' }) key!: string;
  @ApiProperty({ description: 'The record as it was consumed (the message envelope, as JSON).' })
  value!: string;
  @ApiProperty({ example: 'relation "payments" does not exist' }) error!: string;
  @ApiProperty({ description: 'Handler attempts made; 0 when the record was not a message.' })
  attempts!: number;
  @ApiProperty() deadLetteredAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) replayedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) replayedBy!: string | null;
}

export class ReplayAllView {
  @ApiProperty({ type: [String], description: 'Dead letters published again.' })
  replayed!: string[];
  @ApiProperty({ type: [String], description: 'Dead letters that are not messages; left alone.' })
  unreplayable!: string[];
}
