import { Global, Module } from '@nestjs/common';
import { ShutdownDeadline } from './shutdown-deadline';

/** Low-level parts every layer uses. */
@Global()
@Module({ providers: [ShutdownDeadline], exports: [ShutdownDeadline] })
export class RuntimeModule {}
