import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{0,63}$/;

export class AddCartItemRequest {
  @ApiProperty({ example: 'SNEAKER-LIMITED', pattern: SKU_PATTERN.source })
  @IsString()
  @Matches(SKU_PATTERN, { message: 'sku must be upper-case letters, digits and dashes' })
  sku!: string;

  @ApiProperty({ example: 1, minimum: 1, maximum: 100 })
  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}

export class ChangeCartItemRequest {
  @ApiProperty({ example: 2, minimum: 1, maximum: 100 })
  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}
