import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AdminIdentities } from './admin/admin-identities';
import { HttpDrain } from './http-drain';
import { InstanceAddress } from './instance-address';
import { JsonBodyMiddleware } from './json-body.middleware';

@Global()
@Module({
  providers: [InstanceAddress, HttpDrain, AdminIdentities],
  exports: [InstanceAddress, HttpDrain, AdminIdentities],
})
export class HttpModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes({ path: '*', method: RequestMethod.ALL });
  }
}
