import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../http/api-errors';
import { ApiShopper, ShopperId } from '../../http/shopper-id.decorator';
import { CatalogueService } from './catalogue.service';
import { CartService } from './cart.service';
import { AddCartItemRequest, ChangeCartItemRequest } from './dto/cart-item.request';
import { CartView, ProductView } from './dto/cart.view';
import { SkuPipe } from './sku.pipe';

@ApiTags('catalogue')
@Controller('products')
export class CatalogueController {
  constructor(private readonly catalogue: CatalogueService) {}

  @Get()
  @ApiOperation({ summary: 'Every product with its price and the stock left.' })
  @ApiOkResponse({ type: [ProductView] })
  async list(): Promise<ProductView[]> {
    return (await this.catalogue.list()).map(({ sku, name, priceCents, currency, stock }) => ({
      sku,
      name,
      priceCents,
      currency,
      stock,
    }));
  }
}

const HELD =
  'An order under way holds the cart until its payment is decided (OrderUnderWay; ' +
  'details.orderId names it).';
const HELD_OR_SHORT = `Not enough stock left, or: ${HELD}`;
const UNKNOWN = 'No product has this SKU.';
const NOT_IN_CART = 'The product is not in the cart.';
const UNKNOWN_OR_NOT_IN_CART = 'No product has this SKU, or it is not in the cart.';

@ApiTags('cart')
@ApiShopper()
@Controller('cart')
export class CartController {
  constructor(private readonly cart: CartService) {}

  @Get()
  @ApiOperation({ summary: "The shopper's cart, priced from the catalogue now." })
  @ApiOkResponse({ type: CartView })
  view(@ShopperId() userId: string): Promise<CartView> {
    return this.cart.view(userId);
  }

  @Post('items')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Add units of a product (adds to what is already in the cart).' })
  @ApiOkResponse({ type: CartView })
  @ApiErrors(400, 413, 415, { 404: UNKNOWN, 409: HELD_OR_SHORT })
  add(@ShopperId() userId: string, @Body() request: AddCartItemRequest): Promise<CartView> {
    return this.cart.add(userId, request.sku, request.quantity);
  }

  @Patch('items/:sku')
  @ApiOperation({ summary: 'Set the quantity of a product already in the cart.' })
  @ApiOkResponse({ type: CartView })
  @ApiErrors(400, 413, 415, { 404: UNKNOWN_OR_NOT_IN_CART, 409: HELD_OR_SHORT })
  change(
    @ShopperId() userId: string,
    @Param('sku', SkuPipe) sku: string,
    @Body() request: ChangeCartItemRequest,
  ): Promise<CartView> {
    return this.cart.change(userId, sku, request.quantity);
  }

  @Delete('items/:sku')
  @ApiOperation({ summary: 'Remove a product from the cart.' })
  @ApiOkResponse({ type: CartView })
  @ApiErrors(400, { 404: NOT_IN_CART, 409: HELD })
  remove(@ShopperId() userId: string, @Param('sku', SkuPipe) sku: string): Promise<CartView> {
    return this.cart.remove(userId, sku);
  }
}
