import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CartItem } from './cart-item.entity';
import { CartSettlement } from './cart-settlement';
import { CartController, CatalogueController } from './cart.controller';
import { CartHandlers } from './cart.handlers';
import { CartService } from './cart.service';
import { CatalogueService } from './catalogue.service';
import { Product } from './product.entity';
import { StockReservation } from './stock-reservation.entity';
import { StockService } from './stock.service';

/** The catalogue, shoppers' carts, and the stock held for orders awaiting payment. */
@Module({
  imports: [TypeOrmModule.forFeature([Product, CartItem, StockReservation])],
  controllers: [CatalogueController, CartController, CartHandlers],
  providers: [CatalogueService, CartService, CartSettlement, StockService],
  exports: [CatalogueService, CartService, CartSettlement, StockService],
})
export class CartModule {}
