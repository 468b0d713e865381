import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  CHECKOUT_MODES,
  CheckoutMode,
  MODE_SETTINGS,
  ModeSetting,
} from '../../fleet/mode/checkout-mode';

export class SetModeRequest {
  @ApiProperty({
    enum: MODE_SETTINGS,
    example: 'async',
    description: 'auto: each instance goes async when its sync path nears its limit.',
  })
  @IsIn(MODE_SETTINGS, { message: `mode must be one of: ${MODE_SETTINGS.join(', ')}` })
  mode!: ModeSetting;

  @ApiProperty({ required: false, example: 'flash sale starts at 10:00' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ModeChangeView {
  @ApiProperty({ enum: MODE_SETTINGS, nullable: true, type: String }) from!: ModeSetting | null;
  @ApiProperty({ enum: MODE_SETTINGS }) to!: ModeSetting;
  @ApiProperty({ example: 'ops-alice', description: 'An admin, or auto@<host> for auto mode.' })
  changedBy!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() changedAt!: Date;
}

export class ModeView {
  @ApiProperty({ enum: MODE_SETTINGS }) mode!: ModeSetting;
  @ApiProperty({
    enum: CHECKOUT_MODES,
    description: 'The mode the answering instance accepts orders in now (differs in auto).',
  })
  effective!: CheckoutMode;
  @ApiProperty({ example: 'ops-alice' }) setBy!: string;
  @ApiProperty() setAt!: Date;
  @ApiProperty({ description: 'Whether async mode can be chosen (Kafka configured).' })
  asyncAvailable!: boolean;
  @ApiProperty({ type: [ModeChangeView], description: 'Switches, newest first.' })
  history!: ModeChangeView[];
}
