import type { SqlDialect } from '@flotilla/platform/config';
import { dialectSql } from '@flotilla/platform/persistence';

import {
  AUDIT_CHAIN_HEAD_TABLE,
  AUDIT_CHECKPOINTS_TABLE,
  AUDIT_EVENTS_TABLE as T,
} from '../event/audit-event.columns';

/**
 * Stored columns in insert order: the producer's fields, then the chain's. recorded_at is the
 * database clock read under the chain lock, written explicitly because the link covers it.
 */
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
  'client_ip_key',
  'recorded_at',
  'sequence_number',
  // Link version 2 (chain/audit-chain.ts): the provenance columns and the version, then the link.
  'sign_in_method',
  'api_key_id',
  'socket_peer',
  'node_name',
  'request_id',
  'outcome',
  'project_id',
  'environment_id',
  'link_version',
  'chain_hash',
] as const;

/** Every stored column, for reading events back whole (verification, paging). */
export const STORED_COLUMNS = INSERT_COLUMNS.join(', ');

/**
 * Rows per insert statement: SQL Server accepts at most 2,100 parameters a statement, so a
 * batch is split into statements of this many rows (24 parameters each), all in one transaction.
 */
export const INSERT_CHUNK_ROWS = 80;

/** Ids per existence check (one parameter each, under SQL Server's 2,100). */
export const ID_CHECK_CHUNK = 1000;

/**
 * Every piece of SQL that differs between PostgreSQL and SQL Server for the audit trail, side by
 * side. Timestamps travel as ISO-8601 UTC strings (`...Z`) and are converted in SQL, so no driver
 * rounds them (the mssql driver would bind a JS Date as `datetime`, 3.33 ms resolution).
 */
export interface AuditTrailSql {
  /** Inserts `rowCount` chained events (INSERT_COLUMNS order); the caller holds the chain lock. */
  insertChained(rowCount: number): string;
  /** The chain head row (`sequence_number`, `chain_hash`, `began_at`) and the database clock (`now`). */
  readChainHead: string;
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
  /** The first `take` rows, appended after ORDER BY. */
  page(take: number): string;
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
const TIMESTAMP_INDEXES: readonly number[] = [
  INSERT_COLUMNS.indexOf('occurred_at'),
  INSERT_COLUMNS.indexOf('recorded_at'),
];
const HEAD = AUDIT_CHAIN_HEAD_TABLE;

const POSTGRES: AuditTrailSql = {
  insertChained: (rowCount) => {
    const values = valuesRows(
      rowCount,
      (index) => dialectSql('postgres').param(index),
      (params) => params.map((p, i) => (TIMESTAMP_INDEXES.includes(i) ? `CAST(${p} AS timestamptz)` : p)),
    );
    return `INSERT INTO ${T} (${columnList}) VALUES ${values}`;
  },
  // clock_timestamp(), not CURRENT_TIMESTAMP (the transaction's start): a batch that waited for
  // the chain lock is stamped after the batch it waited for.
  readChainHead: `SELECT sequence_number, chain_hash, began_at, clock_timestamp() AS now FROM ${HEAD} WHERE id = 1`,
  // Matches the expression index ix_audit_events_actor_name ON (LOWER(actor_name)).
  actorNameEquals: (param) => `LOWER(actor_name) = ${param}`,
  textEquals: (column, param) => `${column} = ${param}`,
  textLike: (column, param) => `${column} LIKE ${param} ESCAPE '\\'`,
  timestamp: (param) => `CAST(${param} AS timestamptz)`,
  param: (index) => dialectSql('postgres').param(index),
  page: (take) => dialectSql('postgres').limit(take),
};

/** Binary collation: compares code points, so case and accents count (SQL Server's default is _CI_AS). */
const EXACT = 'Latin1_General_BIN2';

const MSSQL: AuditTrailSql = {
  insertChained: (rowCount) => {
    const values = valuesRows(
      rowCount,
      (index) => dialectSql('mssql').param(index),
      (params) => params.map((p, i) => (TIMESTAMP_INDEXES.includes(i) ? `CONVERT(datetime2, ${p}, 127)` : p)),
    );
    return `INSERT INTO ${T} (${columnList}) VALUES ${values};`;
  },
  readChainHead: `SELECT sequence_number, chain_hash, began_at, SYSUTCDATETIME() AS now FROM ${HEAD} WHERE id = 1`,
  // SQL Server's default collation (…_CI_AS) compares without case, so the plain column index serves.
  actorNameEquals: (param) => `actor_name = ${param}`,
  // The collation's comparison finds candidates through the column's index; the binary one keeps
  // only exact matches, so 'U2' is not actor 'u2' here either.
  textEquals: (column, param) => `(${column} = ${param} AND ${column} COLLATE ${EXACT} = ${param})`,
  textLike: (column, param) =>
    `(${column} LIKE ${param} ESCAPE '\\' AND ${column} COLLATE ${EXACT} LIKE ${param} ESCAPE '\\')`,
  timestamp: (param) => `CONVERT(datetime2, ${param}, 127)`,
  param: (index) => dialectSql('mssql').param(index),
  page: (take) => dialectSql('mssql').limit(take),
};

/**
 * The chain head's lock: a no-op UPDATE of its one row, held until the transaction ends, so audit
 * services on every node hand out sequence numbers one batch at a time. An UPDATE rather than a
 * locking read because it locks the same way on PostgreSQL, SQL Server and Babelfish (which ignores
 * table hints such as UPDLOCK).
 */
export const LOCK_CHAIN_HEAD = `UPDATE ${AUDIT_CHAIN_HEAD_TABLE} SET sequence_number = sequence_number WHERE id = 1`;

/** Ids of `count` parameters that are stored already (a resent batch). */
export function storedIdsSql(dialect: SqlDialect, count: number): string {
  const params = Array.from({ length: count }, (_, i) => dialectSql(dialect).param(i + 1)).join(', ');
  return `SELECT id FROM ${T} WHERE id IN (${params})`;
}

export function advanceChainHeadSql(dialect: SqlDialect): string {
  const sql = dialectSql(dialect);
  return `UPDATE ${AUDIT_CHAIN_HEAD_TABLE} SET sequence_number = ${sql.param(1)}, chain_hash = ${sql.param(2)} WHERE id = 1`;
}

/** Up to `take` chained events after `afterSequence` (parameter 1), in chain order. */
export function chainPageSql(dialect: SqlDialect, take: number): string {
  const sql = dialectSql(dialect);
  return (
    `SELECT ${STORED_COLUMNS} FROM ${T} WHERE sequence_number > ${sql.param(1)} ` +
    `ORDER BY sequence_number ${sql.limit(take)}`
  );
}

/** Events stored without a link after the chain began (parameter 1): only inserted behind its back. */
export function unchainedSinceSql(dialect: SqlDialect): string {
  const sql = dialectSql(dialect);
  return `SELECT COUNT(*) AS n FROM ${T} WHERE sequence_number IS NULL AND recorded_at > ${sql.param(1)}`;
}

const CHECKPOINT_COLUMNS = 'id, sequence_number, chain_hash, signed_at, node_name, signature';

/** The newest signed checkpoint, or none. */
export function latestCheckpointSql(dialect: SqlDialect): string {
  const order = 'ORDER BY signed_at DESC, id DESC';
  return dialect === 'mssql'
    ? `SELECT TOP 1 ${CHECKPOINT_COLUMNS} FROM ${AUDIT_CHECKPOINTS_TABLE} ${order}`
    : `SELECT ${CHECKPOINT_COLUMNS} FROM ${AUDIT_CHECKPOINTS_TABLE} ${order} LIMIT 1`;
}

export function insertCheckpointSql(dialect: SqlDialect): string {
  const sql = dialectSql(dialect);
  const signedAt =
    dialect === 'mssql' ? `CONVERT(datetime2, ${sql.param(4)}, 127)` : `CAST(${sql.param(4)} AS timestamptz)`;
  return (
    `INSERT INTO ${AUDIT_CHECKPOINTS_TABLE} (${CHECKPOINT_COLUMNS}) ` +
    `VALUES (${sql.param(1)}, ${sql.param(2)}, ${sql.param(3)}, ${signedAt}, ${sql.param(5)}, ${sql.param(6)})`
  );
}

export function auditTrailSql(dialect: SqlDialect): AuditTrailSql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
