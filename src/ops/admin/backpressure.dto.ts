import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class SetBackpressureRequest {
  @ApiProperty({ minimum: 1, maximum: 10_000, example: 40 })
  @IsInt({ message: 'maxInFlight must be a whole number' })
  @Min(1, { message: 'maxInFlight must be at least 1' })
  @Max(10_000, { message: 'maxInFlight must be at most 10000' })
  maxInFlight!: number;

  @ApiProperty({ required: false, example: 'gateway raised our quota' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class BackpressureChangeView {
  @ApiProperty({ nullable: true, type: String, example: '32' }) from!: string | null;
  @ApiProperty({ example: '40' }) to!: string;
  @ApiProperty({ example: 'ops-alice' }) changedBy!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() changedAt!: Date;
}

export class BackpressureView {
  @ApiProperty({
    description: "The admin's ceiling: authorizations each worker may hold at once at most.",
    example: 32,
  })
  maxInFlight!: number;
  @ApiProperty({
    description:
      'Authorizations the answering instance may hold now: the limit learnt from the gateway, ' +
      'at most the ceiling (the ceiling on an API-only instance, which runs no async payment); ' +
      '1 while its circuit to the gateway is open, so it stops fetching payment requests.',
    example: 6,
  })
  limitInForce!: number;
  @ApiProperty({ example: 'ops-alice' }) setBy!: string;
  @ApiProperty() setAt!: Date;
  @ApiProperty({
    description: 'Authorizations under way on the instance that answers (0 on an API-only one).',
  })
  inUse!: number;
  @ApiProperty({ type: [BackpressureChangeView], description: 'Changes, newest first.' })
  history!: BackpressureChangeView[];
}
