import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DatabaseNotifications } from './database-notifications';
import { DatabaseOutage } from './database-outage';
import { dataSourceOptions } from './data-source-options';
import { runMigrationsOnce } from './migrations-under-lock';

/**
 * The data source: the PostgreSQL server, or embedded PGlite. Pending migrations run at boot,
 * once for instances booting together; each module registers its own entities. Every module
 * may announce and hear notices through the database (DatabaseNotifications), and tell a lost
 * database from a failed query (DatabaseOutage).
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [DatabaseNotifications, DatabaseOutage],
      exports: [DatabaseNotifications, DatabaseOutage],
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(config),
            autoLoadEntities: true,
            // Nest retries a failed first connection; a wrong URL should stop the boot quickly.
            retryAttempts: 2,
            retryDelay: 1000,
          }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options as DataSourceOptions).initialize();
            try {
              await runMigrationsOnce(dataSource, config);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
      ],
    };
  }
}
