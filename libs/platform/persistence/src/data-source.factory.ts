import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';

import type { DatabaseConfig } from '@flotilla/platform/config';

import { RedactingQueryLogger } from './redacting-logger';

// TypeORM takes classes or schemas; `Function` is its own type for entity classes.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type MigrationList = MixedList<Function | string>;

export interface DataSourceParts {
  entities: EntityList;
  migrations?: MigrationList;
  /** Shown in the database's session list, so an operator sees which service holds a connection. */
  applicationName: string;
  poolSize?: number;
}

/** Parses mssql://user:password@host:port/database?encrypt=true into TypeORM's mssql options. */
function mssqlOptions(url: string): Omit<Extract<DataSourceOptions, { type: 'mssql' }>, 'type'> {
  const parsed = new URL(url.replace(/^sqlserver:/, 'mssql:'));
  const encrypt = parsed.searchParams.get('encrypt') !== 'false';
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 1433,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.replace(/^\//, ''),
    options: {
      encrypt,
      trustServerCertificate: parsed.searchParams.get('trustServerCertificate') === 'true',
    },
  };
}

/**
 * The one DataSource definition shared by every service and the migrate command.
 * `synchronize` is always off: the schema changes only through migrations.
 */
export function createDataSource(database: DatabaseConfig, parts: DataSourceParts): DataSource {
  const common = {
    entities: parts.entities,
    migrations: parts.migrations ?? [],
    migrationsTableName: 'flotilla_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn'] as const,
    logger: new RedactingQueryLogger(),
    maxQueryExecutionTime: 2000,
  };
  if (database.dialect === 'mssql') {
    return new DataSource({
      type: 'mssql',
      ...mssqlOptions(database.url),
      ...common,
      logging: [...common.logging],
      pool: { max: parts.poolSize ?? 10 },
      options: { ...mssqlOptions(database.url).options, appName: parts.applicationName, useUTC: true },
    });
  }
  return new DataSource({
    type: 'postgres',
    url: database.url,
    ...common,
    logging: [...common.logging],
    applicationName: parts.applicationName,
    poolSize: parts.poolSize ?? 10,
    // Timestamps are compared across nodes; keep every session on UTC.
    extra: { options: '-c timezone=UTC' },
  });
}
