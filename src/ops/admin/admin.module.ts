import { Module } from '@nestjs/common';
import { BackpressureController } from './backpressure.controller';
import { FiguresModule } from '../figures/figures.module';
import { DeadLettersController } from './dead-letters.controller';
import { FiguresController } from './figures.controller';
import { ModeController } from './mode.controller';
import { SignedInController } from './signed-in.controller';

/** The admin API: the fleet's knobs, figures and dead letters (order admin lives with orders). */
@Module({
  imports: [FiguresModule],
  controllers: [
    ModeController,
    BackpressureController,
    DeadLettersController,
    FiguresController,
    SignedInController,
  ],
})
export class AdminModule {}
