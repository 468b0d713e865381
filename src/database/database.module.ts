import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/**
 * The data source: the PostgreSQL server, or embedded PGlite. Pending migrations run at boot;
 * each module registers its own entities.
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config),
          autoLoadEntities: true,
          migrationsRun: true,
          // Nest retries a failed first connection; a wrong URL should stop the boot quickly.
          retryAttempts: 2,
          retryDelay: 1000,
        }),
      ],
    };
  }
}
