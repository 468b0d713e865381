import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';

/** The admin console's page (its data comes from the admin API). */
@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
