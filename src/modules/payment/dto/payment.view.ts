import { ApiProperty } from '@nestjs/swagger';
import { PAYMENT_OUTCOMES, PaymentOutcome } from '../payment.contracts';

export class PaymentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 1 }) attempt!: number;
  @ApiProperty({ enum: PAYMENT_OUTCOMES }) status!: PaymentOutcome;
  @ApiProperty({ example: 18900 }) amountCents!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ nullable: true, type: String, example: 'sim_5f0c…' })
  gatewayReference!: string | null;
  @ApiProperty({ type: [String], example: ['card_declined'] }) reasons!: string[];
  @ApiProperty() createdAt!: Date;
}
