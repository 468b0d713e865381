import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class PlaceOrderRequest {
  @ApiProperty({
    example: 'tok_visa',
    description:
      "The card token from the payment provider's widget. Simulator: tok_decline… is declined, " +
      'tok_unavailable… fails as if the gateway were down.',
  })
  @IsString()
  @Matches(/^tok_[A-Za-z0-9_]{1,120}$/, { message: 'paymentToken must look like tok_…' })
  paymentToken!: string;
}
