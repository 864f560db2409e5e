import type { SqlDialect } from '@flotilla/platform/config';
import { dialectSql } from '@flotilla/platform/persistence';
import { testDialect } from '@flotilla/testing';

/**
 * Raw SQL pieces for contract specs, which run unchanged on PostgreSQL and on SQL Server: specs
 * that set a row up directly (a clock moved back, a write as an older orchestrator makes it) build
 * their statements from these instead of PostgreSQL-only `$1`, `INTERVAL` or `::` casts.
 */
export interface ContractSql {
  /** Positional placeholder, 1-based: `$n` on PostgreSQL, `@n-1` on SQL Server. */
  p(index: number): string;
  /** The database's current UTC time. */
  now: string;
  /** The database's clock moved by the whole number of milliseconds in placeholder `index`. */
  nowPlusMs(index: number): string;
  /** `(p(from), …, p(from + count - 1))`, for an IN list. */
  list(from: number, count: number): string;
}

export function contractSql(dialect: SqlDialect = testDialect()): ContractSql {
  const sql = dialectSql(dialect);
  return {
    p: sql.param,
    now: sql.now,
    // PostgreSQL receives the number untyped: the cast says what it is (a valid T-SQL type name too).
    nowPlusMs: (index) => sql.nowPlusMs(`CAST(${sql.param(index)} AS integer)`),
    list: (from, count) =>
      `(${Array.from({ length: count }, (_, offset) => sql.param(from + offset)).join(', ')})`,
  };
}
