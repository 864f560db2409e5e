import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';

import type { DatabaseConfig } from '@flotilla/platform/config';

import {
  DatabaseTlsSettings,
  PgSslOptions,
  pgSslOptions,
  refuseLoginWithoutTls,
  tediousTlsOptions,
  withoutPgTlsParams,
} from './database-tls-options';
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

type MssqlOptions = Omit<Extract<DataSourceOptions, { type: 'mssql' }>, 'type'>;

/**
 * Parses mssql://user:password@host:port/database?encrypt=true into TypeORM's mssql options. TLS
 * comes from the settings when config read them (loadFlotillaConfig always does), else from the URL.
 */
function mssqlOptions(url: string, tls: DatabaseTlsSettings | undefined): MssqlOptions {
  const parsed = new URL(url.replace(/^sqlserver:/, 'mssql:'));
  const fromUrl = {
    encrypt: parsed.searchParams.get('encrypt') !== 'false',
    trustServerCertificate: parsed.searchParams.get('trustServerCertificate') === 'true',
  };
  const options = tls ? tediousTlsOptions(tls) : fromUrl;
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 1433,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.replace(/^\//, ''),
    options,
    // mssql calls this with each new tedious connection, before it logs in.
    ...(options.encrypt ? { extra: { beforeConnect: refuseLoginWithoutTls } } : {}),
  };
}

/** The URL and `ssl` pg gets: the settings' TLS when config read them, else the URL as it stands. */
function postgresConnection(
  url: string,
  tls: DatabaseTlsSettings | undefined,
): { url: string; ssl?: false | PgSslOptions } {
  if (!tls) return { url };
  return { url: withoutPgTlsParams(url), ssl: pgSslOptions(tls) };
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
    const mssql = mssqlOptions(database.url, database.tls);
    return new DataSource({
      type: 'mssql',
      ...mssql,
      ...common,
      logging: [...common.logging],
      pool: { max: parts.poolSize ?? 10 },
      options: { ...mssql.options, appName: parts.applicationName, useUTC: true },
    });
  }
  return new DataSource({
    type: 'postgres',
    ...postgresConnection(database.url, database.tls),
    ...common,
    logging: [...common.logging],
    applicationName: parts.applicationName,
    poolSize: parts.poolSize ?? 10,
    // Timestamps are compared across nodes; keep every session on UTC.
    extra: { options: '-c timezone=UTC' },
  });
}
