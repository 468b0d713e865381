import { BadRequestException, PipeTransform } from '@nestjs/common';
import { SKU_PATTERN } from './dto/cart-item.request';

/** Rejects a malformed SKU in a path before any query runs. */
export class SkuPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SKU_PATTERN.test(value)) {
      throw new BadRequestException(`${value} is not a SKU: upper-case letters, digits and dashes`);
    }
    return value;
  }
}
