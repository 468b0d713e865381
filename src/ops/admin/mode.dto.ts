import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { CHECKOUT_MODES, CheckoutMode } from '../mode/checkout-mode.service';

export class SetModeRequest {
  @ApiProperty({ enum: CHECKOUT_MODES, example: 'async' })
  @IsIn(CHECKOUT_MODES, { message: `mode must be one of: ${CHECKOUT_MODES.join(', ')}` })
  mode!: CheckoutMode;

  @ApiProperty({ required: false, example: 'flash sale starts at 10:00' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ModeChangeView {
  @ApiProperty({ enum: CHECKOUT_MODES, nullable: true, type: String }) from!: CheckoutMode | null;
  @ApiProperty({ enum: CHECKOUT_MODES }) to!: CheckoutMode;
  @ApiProperty({ example: 'ops-alice' }) changedBy!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() changedAt!: Date;
}

export class ModeView {
  @ApiProperty({ enum: CHECKOUT_MODES }) mode!: CheckoutMode;
  @ApiProperty({ example: 'ops-alice' }) setBy!: string;
  @ApiProperty() setAt!: Date;
  @ApiProperty({ description: 'Whether async mode can be chosen (Kafka configured).' })
  asyncAvailable!: boolean;
  @ApiProperty({ type: [ModeChangeView], description: 'Switches, newest first.' })
  history!: ModeChangeView[];
}
