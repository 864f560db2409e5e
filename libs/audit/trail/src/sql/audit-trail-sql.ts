import type { SqlDialect } from '@flotilla/platform/config';
import { dialectSql } from '@flotilla/platform/persistence';

import { AUDIT_EVENTS_TABLE as T } from '../event/audit-event.columns';

/** Stored columns in insert order; recorded_at is left to its database-clock default. */
export const INSERT_COLUMNS = [
  'id',
  'occurred_at',
  'actor_id',
  'actor_name',
  'action',
  'resource_type',
  'resource_id',
  'details',
  'client_ip',
  'source',
  'forwarded_for',
] as const;

/**
 * Rows per insert statement: SQL Server accepts at most 2,100 parameters a statement, so a
 * batch is split into statements of this many rows (11 parameters each), all in one transaction.
 */
export const INSERT_CHUNK_ROWS = 100;

/**
 * Every piece of SQL that differs between PostgreSQL and SQL Server for the audit trail, side by
 * side. Timestamps travel as ISO-8601 UTC strings (`...Z`) and are converted in SQL, so no driver
 * rounds them (the mssql driver would bind a JS Date as `datetime`, 3.33 ms resolution).
 */
export interface AuditTrailSql {
  /**
   * Inserts `rowCount` events, skipping ids already stored; returns one row (`id`) per new event.
   * On SQL Server a concurrent insert of the same id can still fail it with a key violation
   * (see AuditEventRepository.insertNew, which retries the batch).
   */
  insertNew(rowCount: number): string;
  /** The stored actor name compared without case to a parameter already lower-cased. */
  actorNameEquals(param: string): string;
  /** A column equal to a parameter, case and accents significant (as PostgreSQL's `=`). */
  textEquals(column: string, param: string): string;
  /** A column LIKE a pattern parameter escaped with `\`, case significant (as PostgreSQL's LIKE). */
  textLike(column: string, param: string): string;
  /** An ISO-8601 UTC string parameter as a timestamp comparable with occurred_at. */
  timestamp(param: string): string;
  /** Positional parameter placeholder (1-based index). */
  param(index: number): string;
  /** Row window appended after ORDER BY. */
  page(take: number, skip: number): string;
}

function valuesRows(
  rowCount: number,
  param: (index: number) => string,
  wrap: (row: string[]) => string[],
): string {
  const rows: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    const params = INSERT_COLUMNS.map((_, column) => param(row * INSERT_COLUMNS.length + column + 1));
    rows.push(`(${wrap(params).join(', ')})`);
  }
  return rows.join(', ');
}

const columnList = INSERT_COLUMNS.join(', ');
const occurredAtIndex = INSERT_COLUMNS.indexOf('occurred_at');

const POSTGRES: AuditTrailSql = {
  insertNew: (rowCount) => {
    const values = valuesRows(
      rowCount,
      (index) => dialectSql('postgres').param(index),
      (params) => params.map((p, i) => (i === occurredAtIndex ? `CAST(${p} AS timestamptz)` : p)),
    );
    return `INSERT INTO ${T} (${columnList}) VALUES ${values} ON CONFLICT (id) DO NOTHING RETURNING id`;
  },
  // Matches the expression index ix_audit_events_actor_name ON (LOWER(actor_name)).
  actorNameEquals: (param) => `LOWER(actor_name) = ${param}`,
  textEquals: (column, param) => `${column} = ${param}`,
  textLike: (column, param) => `${column} LIKE ${param} ESCAPE '\\'`,
  timestamp: (param) => `CAST(${param} AS timestamptz)`,
  param: (index) => dialectSql('postgres').param(index),
  page: (take, skip) => dialectSql('postgres').limit(take, skip),
};

/** Binary collation: compares code points, so case and accents count (SQL Server's default is _CI_AS). */
const EXACT = 'Latin1_General_BIN2';

const MSSQL: AuditTrailSql = {
  // No MERGE (Babelfish has none) and no HOLDLOCK (a hint must not carry correctness): the
  // NOT EXISTS skips ids already committed; an id a concurrent relay inserts in between makes this
  // statement fail on the primary key (2627), and the repository retries the whole batch.
  insertNew: (rowCount) => {
    const values = valuesRows(
      rowCount,
      (index) => dialectSql('mssql').param(index),
      (params) => params,
    );
    const sourceColumns = INSERT_COLUMNS.map((column) =>
      column === 'occurred_at' ? 'CONVERT(datetime2, source.occurred_at, 127)' : `source.${column}`,
    ).join(', ');
    return (
      `INSERT INTO ${T} (${columnList}) OUTPUT inserted.id SELECT ${sourceColumns} ` +
      `FROM (VALUES ${values}) AS source (${columnList}) ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${T} stored WHERE stored.id = source.id);`
    );
  },
  // SQL Server's default collation (…_CI_AS) compares without case, so the plain column index serves.
  actorNameEquals: (param) => `actor_name = ${param}`,
  // The collation's comparison finds candidates through the column's index; the binary one keeps
  // only exact matches, so 'U2' is not actor 'u2' here either.
  textEquals: (column, param) => `(${column} = ${param} AND ${column} COLLATE ${EXACT} = ${param})`,
  textLike: (column, param) =>
    `(${column} LIKE ${param} ESCAPE '\\' AND ${column} COLLATE ${EXACT} LIKE ${param} ESCAPE '\\')`,
  timestamp: (param) => `CONVERT(datetime2, ${param}, 127)`,
  param: (index) => dialectSql('mssql').param(index),
  page: (take, skip) => dialectSql('mssql').limit(take, skip),
};

export function auditTrailSql(dialect: SqlDialect): AuditTrailSql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
