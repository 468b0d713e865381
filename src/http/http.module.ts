import { Global, Module } from '@nestjs/common';
import { InstanceAddress } from './instance-address';

@Global()
@Module({ providers: [InstanceAddress], exports: [InstanceAddress] })
export class HttpModule {}
