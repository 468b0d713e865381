import { Module } from '@nestjs/common';
import { BackpressureController } from './backpressure.controller';
import { DeadLettersController } from './dead-letters.controller';
import { ModeController } from './mode.controller';

/** The admin API of the fleet's knobs and dead letters (order admin lives with orders). */
@Module({ controllers: [ModeController, BackpressureController, DeadLettersController] })
export class AdminModule {}
