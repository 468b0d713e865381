import { PickType } from '@nestjs/swagger';
import { PlaceOrderRequest } from './place-order.request';

/** A failed payment tried again, with the same card or another one. */
export class RetryPaymentRequest extends PickType(PlaceOrderRequest, ['paymentToken']) {}
