import type { SqlDialect } from '@flotilla/platform/config';
import { dialectSql } from '@flotilla/platform/persistence';

import { STORED_COLUMNS } from '../sql/audit-trail-sql';

export const AUDIT_SETTINGS_TABLE = 'audit_settings';
export const AUDIT_ARCHIVE_LEASE_TABLE = 'audit_archive_lease';
export const AUDIT_ARCHIVES_TABLE = 'audit_archives';

export const ARCHIVE_COLUMNS =
  'archive_day, file_name, event_count, first_sequence, last_sequence, through_sequence, previous_chain_hash, ' +
  'last_chain_hash, recorded_before, sha256, manifest, created_at, purged_at, file_deleted_at, file_deleted_by';

/**
 * Every piece of archiving SQL, PostgreSQL and SQL Server side by side. Timestamps travel as
 * ISO-8601 UTC strings converted in SQL (as in sql/audit-trail-sql.ts), so no driver rounds them.
 * Statements that must say whether they changed a row return it (RETURNING / OUTPUT), because the
 * two drivers report affected rows differently through TypeORM's raw query.
 */
export interface ArchiveSql {
  now: string;
  timestamp(param: string): string;
  /** Takes the lease when it has expired: returns the new fencing token, or no row. */
  acquireLease: string;
  /** Renews the lease only for its holder and token while unexpired, locking its row: returns it, or no row. */
  fenceLease: string;
  releaseLease: string;
  leaseHolder: string;
  readRetention: string;
  lockSettings: string;
  updateRetention: string;
  listArchives: string;
  insertArchive: string;
  markPurged: string;
  markFileDeleted: string;
  /** The first chained event after parameter 1, by number. */
  nextChained: string;
  /** The oldest event stored before the chain began (recorded_at <= began_at), as `oldest`. */
  oldestPreChain: string;
  /** The chained event (number > parameter 2) first recorded at or after parameter 1. */
  firstRecordedFrom: string;
  maxSequence: string;
  /** Pre-chain events recorded before parameter 1, after the keyset (parameter 2, 3), `take` of them. */
  preChainPage(take: number): string;
  deleteChainedRange: string;
  deletePreChain: string;
  remainingInRange: string;
}

function build(dialect: SqlDialect): ArchiveSql {
  const sql = dialectSql(dialect);
  const p = (index: number) => sql.param(index);
  const mssql = dialect === 'mssql';
  const timestamp = (param: string) =>
    mssql ? `CONVERT(datetime2, ${param}, 127)` : `CAST(${param} AS timestamptz)`;
  const returning = (column: string, set: string, where: string) =>
    mssql
      ? `UPDATE ${AUDIT_ARCHIVE_LEASE_TABLE} SET ${set} OUTPUT inserted.${column} WHERE ${where}`
      : `UPDATE ${AUDIT_ARCHIVE_LEASE_TABLE} SET ${set} WHERE ${where} RETURNING ${column}`;
  const top = (take: number, rest: string) =>
    mssql ? `SELECT TOP ${take} ${rest}` : `SELECT ${rest} LIMIT ${take}`;
  const began = 'SELECT h.began_at FROM audit_chain_head h WHERE h.id = 1';
  return {
    now: mssql ? 'SELECT SYSUTCDATETIME() AS now' : 'SELECT CURRENT_TIMESTAMP AS now',
    timestamp,
    acquireLease: returning(
      'token',
      `holder = ${p(1)}, token = token + 1, expires_at = ${sql.nowPlusMs(p(2))}`,
      `id = 1 AND expires_at <= ${sql.now}`,
    ),
    fenceLease: returning(
      'token',
      `expires_at = ${sql.nowPlusMs(p(3))}`,
      `id = 1 AND holder = ${p(1)} AND token = ${p(2)} AND expires_at > ${sql.now}`,
    ),
    releaseLease:
      `UPDATE ${AUDIT_ARCHIVE_LEASE_TABLE} SET expires_at = ${sql.now} ` +
      `WHERE id = 1 AND holder = ${p(1)} AND token = ${p(2)}`,
    leaseHolder: `SELECT holder, token, expires_at, CASE WHEN expires_at > ${sql.now} THEN 1 ELSE 0 END AS held FROM ${AUDIT_ARCHIVE_LEASE_TABLE} WHERE id = 1`,
    readRetention: `SELECT retention_days, changed_at, changed_by FROM ${AUDIT_SETTINGS_TABLE} WHERE id = 1`,
    lockSettings: `UPDATE ${AUDIT_SETTINGS_TABLE} SET retention_days = retention_days WHERE id = 1`,
    updateRetention:
      `UPDATE ${AUDIT_SETTINGS_TABLE} SET retention_days = ${p(1)}, changed_at = ${sql.now}, ` +
      `changed_by = ${p(2)} WHERE id = 1`,
    listArchives: `SELECT ${ARCHIVE_COLUMNS} FROM ${AUDIT_ARCHIVES_TABLE} ORDER BY archive_day`,
    insertArchive:
      `INSERT INTO ${AUDIT_ARCHIVES_TABLE} (archive_day, file_name, event_count, first_sequence, last_sequence, ` +
      'through_sequence, previous_chain_hash, last_chain_hash, recorded_before, sha256, manifest, created_at) ' +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ` +
      `${timestamp(p(9))}, ${p(10)}, ${p(11)}, ${timestamp(p(12))})`,
    markPurged: `UPDATE ${AUDIT_ARCHIVES_TABLE} SET purged_at = ${sql.now} WHERE archive_day = ${p(1)}`,
    markFileDeleted:
      `UPDATE ${AUDIT_ARCHIVES_TABLE} SET file_deleted_at = ${sql.now}, file_deleted_by = ${p(2)} ` +
      `WHERE archive_day = ${p(1)} AND file_deleted_at IS NULL`,
    nextChained: top(
      1,
      `sequence_number, recorded_at FROM audit_events WHERE sequence_number > ${p(1)} ORDER BY sequence_number`,
    ),
    oldestPreChain: `SELECT MIN(recorded_at) AS oldest FROM audit_events WHERE sequence_number IS NULL AND recorded_at <= (${began})`,
    firstRecordedFrom: top(
      1,
      `sequence_number FROM audit_events WHERE recorded_at >= ${timestamp(p(1))} AND sequence_number > ${p(2)} ` +
        'ORDER BY recorded_at, sequence_number',
    ),
    maxSequence: 'SELECT MAX(sequence_number) AS n FROM audit_events',
    preChainPage: (take) =>
      top(
        take,
        `${STORED_COLUMNS} FROM audit_events WHERE sequence_number IS NULL AND recorded_at < ${timestamp(p(1))} ` +
          `AND recorded_at <= (${began}) AND (recorded_at > ${timestamp(p(2))} ` +
          `OR (recorded_at = ${timestamp(p(2))} AND id > ${p(3)})) ORDER BY recorded_at, id`,
      ),
    deleteChainedRange: `DELETE FROM audit_events WHERE sequence_number BETWEEN ${p(1)} AND ${p(2)}`,
    deletePreChain:
      `DELETE FROM audit_events WHERE sequence_number IS NULL AND recorded_at < ${timestamp(p(1))} ` +
      `AND recorded_at <= (${began})`,
    remainingInRange:
      `SELECT COUNT(*) AS n FROM audit_events WHERE (sequence_number BETWEEN ${p(1)} AND ${p(2)}) ` +
      `OR (sequence_number IS NULL AND recorded_at < ${timestamp(p(3))} AND recorded_at <= (${began}))`,
  };
}

const POSTGRES = build('postgres');
const MSSQL = build('mssql');

export function archiveSql(dialect: SqlDialect): ArchiveSql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
