import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { ConfigError, FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { createDataSource, EntityList } from './data-source.factory';

@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * Provides an initialised TypeORM `DataSource` (inject it by class) over the configured database,
 * limited to the entities the service owns. Migrations are not run here: see the migrate command.
 */
@Global()
@Module({})
export class DatabaseModule {
  static register(options: {
    applicationName: string;
    entities: EntityList;
    poolSize?: number;
  }): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DataSource,
          inject: [FLOTILLA_CONFIG],
          useFactory: (config: FlotillaConfig): Promise<DataSource> => {
            if (!config.database.url) {
              throw new ConfigError([`FLOTILLA_DB_URL is required by ${options.applicationName}`]);
            }
            return createDataSource(config.database, {
              applicationName: `${options.applicationName}@${config.nodeName}`,
              entities: options.entities,
              poolSize: options.poolSize,
            }).initialize();
          },
        },
        DataSourceCloser,
      ],
      exports: [DataSource],
    };
  }
}
