import { Injectable } from '@nestjs/common';
import { InstanceAddress } from '../../http/instance-address';
import { CheckoutMode } from '../../ops/mode/checkout-mode.service';
import { ORDER_UPDATES_PATH } from './order-updates.controller';

/** Where a worker pushes the result of an async payment: back to this instance. */
@Injectable()
export class ReplyAddress {
  constructor(private readonly address: InstanceAddress) {}

  for(mode: CheckoutMode): string | null {
    return mode === 'async' ? `${this.address.baseUrl()}${ORDER_UPDATES_PATH}` : null;
  }
}
