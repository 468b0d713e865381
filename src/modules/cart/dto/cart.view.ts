import { ApiProperty } from '@nestjs/swagger';

export class ProductView {
  @ApiProperty({ example: 'SNEAKER-LIMITED' }) sku!: string;
  @ApiProperty({ example: 'Limited-edition sneaker' }) name!: string;
  @ApiProperty({ example: 18900, description: 'Price in minor units (cents).' })
  priceCents!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ example: 100, description: 'Units left to sell.' }) stock!: number;
}

export class CartLineView {
  @ApiProperty({ example: 'SNEAKER-LIMITED' }) sku!: string;
  @ApiProperty({ example: 'Limited-edition sneaker' }) name!: string;
  @ApiProperty({ example: 18900 }) unitPriceCents!: number;
  @ApiProperty({ example: 2 }) quantity!: number;
  @ApiProperty({ example: 37800 }) lineTotalCents!: number;
}

export class CartView {
  @ApiProperty({ type: [CartLineView] }) items!: CartLineView[];
  @ApiProperty({ example: 37800 }) totalCents!: number;
  @ApiProperty({ example: 'EUR', nullable: true, type: String }) currency!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description:
      'The order under way that holds the cart until its payment is decided; null when the ' +
      'cart is free for an order.',
  })
  orderUnderWay!: string | null;
}
