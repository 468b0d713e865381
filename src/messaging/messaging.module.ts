import { Global, Module } from '@nestjs/common';
import { InProcessServer } from './in-process.server';
import { Inbox } from './inbox';
import { MessageBus } from './message-bus';
import { UnitOfWork } from './unit-of-work';

@Global()
@Module({
  providers: [InProcessServer, MessageBus, UnitOfWork, Inbox],
  exports: [InProcessServer, UnitOfWork, Inbox],
})
export class MessagingModule {}
