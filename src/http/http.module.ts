import { Global, Module } from '@nestjs/common';
import { AdminIdentities } from './admin/admin-identities';
import { HttpDrain } from './http-drain';
import { InstanceAddress } from './instance-address';

@Global()
@Module({
  providers: [InstanceAddress, HttpDrain, AdminIdentities],
  exports: [InstanceAddress, HttpDrain, AdminIdentities],
})
export class HttpModule {}
