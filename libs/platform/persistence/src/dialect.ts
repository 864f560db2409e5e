import type { TableColumnOptions } from 'typeorm';

import type { SqlDialect } from '@flotilla/platform/config';

/**
 * Dialect-specific SQL fragments, side by side, in one place. Anything compared across nodes
 * (heartbeats, leases) uses the database's clock through `now`, never a node's clock.
 */
export interface DialectSql {
  /** The database's current UTC time. */
  now: string;
  /**
   * `now` shifted by a number of milliseconds held in a bound parameter. On SQL Server DATEADD
   * takes an int: at most 2^31 - 1 ms (about 24.8 days); longer spans go in seconds (see the auth
   * lib's session clock).
   */
  nowPlusMs(param: string): string;
  /** Positional parameter placeholder for raw queries (1-based). */
  param(index: number): string;
  /** Row limit appended to an ORDER BY query. */
  limit(count: number, offset?: number): string;
}

const POSTGRES: DialectSql = {
  now: 'CURRENT_TIMESTAMP',
  nowPlusMs: (param) => `(CURRENT_TIMESTAMP + (${param} * INTERVAL '1 millisecond'))`,
  param: (index) => `$${index}`,
  limit: (count, offset = 0) => `LIMIT ${count} OFFSET ${offset}`,
};

const MSSQL: DialectSql = {
  now: 'SYSUTCDATETIME()',
  nowPlusMs: (param) => `DATEADD(millisecond, ${param}, SYSUTCDATETIME())`,
  param: (index) => `@${index - 1}`,
  limit: (count, offset = 0) => `OFFSET ${offset} ROWS FETCH NEXT ${count} ROWS ONLY`,
};

export function dialectSql(dialect: SqlDialect): DialectSql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}

/** Column shapes for migrations, so one migration source creates the right types on both dialects. */
export interface PortableColumns {
  /** A string primary key (UUIDs chosen by the application). */
  id(name?: string): TableColumnOptions;
  /** A foreign-key-like string column holding another row's id. */
  ref(name: string, nullable?: boolean): TableColumnOptions;
  varchar(name: string, length: number, nullable?: boolean): TableColumnOptions;
  /** Unbounded text (JSON documents, scripts, details). */
  text(name: string, nullable?: boolean): TableColumnOptions;
  int(name: string, defaultValue?: number): TableColumnOptions;
  bigint(name: string, nullable?: boolean): TableColumnOptions;
  boolean(name: string, defaultValue: boolean): TableColumnOptions;
  /** UTC timestamp; `defaultNow` fills it from the database clock. */
  timestamp(name: string, options?: { nullable?: boolean; defaultNow?: boolean }): TableColumnOptions;
}

export function portableColumns(dialect: SqlDialect): PortableColumns {
  const mssql = dialect === 'mssql';
  return {
    id: (name = 'id') => ({ name, type: 'varchar', length: '36', isPrimary: true }),
    ref: (name, nullable = false) => ({ name, type: 'varchar', length: '36', isNullable: nullable }),
    varchar: (name, length, nullable = false) => ({
      name,
      type: mssql ? 'nvarchar' : 'varchar',
      length: String(length),
      isNullable: nullable,
    }),
    text: (name, nullable = false) =>
      mssql
        ? { name, type: 'nvarchar', length: 'max', isNullable: nullable }
        : { name, type: 'text', isNullable: nullable },
    int: (name, defaultValue = 0) => ({ name, type: 'int', default: defaultValue }),
    bigint: (name, nullable = false) => ({ name, type: 'bigint', isNullable: nullable }),
    boolean: (name, defaultValue) =>
      mssql
        ? { name, type: 'bit', default: defaultValue ? 1 : 0 }
        : { name, type: 'boolean', default: defaultValue ? 'true' : 'false' },
    timestamp: (name, options = {}) => ({
      name,
      type: mssql ? 'datetime2' : 'timestamptz',
      isNullable: options.nullable ?? false,
      default: options.defaultNow ? (mssql ? 'SYSUTCDATETIME()' : 'CURRENT_TIMESTAMP') : undefined,
    }),
  };
}

/** The dialect of a TypeORM connection, for migrations and repositories that branch on it. */
export function dialectOf(connection: { options: { type: string } }): SqlDialect {
  return connection.options.type === 'mssql' ? 'mssql' : 'postgres';
}
