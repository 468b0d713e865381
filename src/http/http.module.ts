import { Global, Module } from '@nestjs/common';
import { HttpDrain } from './http-drain';
import { InstanceAddress } from './instance-address';

@Global()
@Module({ providers: [InstanceAddress, HttpDrain], exports: [InstanceAddress, HttpDrain] })
export class HttpModule {}
