import { EntityManager } from 'typeorm';

import type { SqlDialect } from '@flotilla/platform/config';
import { dialectOf } from '@flotilla/platform/persistence';

/**
 * Session expiry and activity offsets from the database clock, side by side for both dialects
 * (the clock itself is `sqlFor(manager).now`). Offsets are whole seconds, not milliseconds: SQL Server's DATEADD takes an int, and the longest session
 * (FLOTILLA_SESSION_HOURS=720, 2.59e9 ms) does not fit one as milliseconds ("integer out of
 * range" / arithmetic overflow); as seconds (2.59e6) it does.
 */
export interface SessionClockSql {
  /** The database's now shifted by a whole number of seconds held in a bound parameter. */
  nowPlusSeconds(param: string): string;
}

const POSTGRES: SessionClockSql = {
  nowPlusSeconds: (param) => `(CURRENT_TIMESTAMP + (${param} * INTERVAL '1 second'))`,
};

const MSSQL: SessionClockSql = {
  nowPlusSeconds: (param) => `DATEADD(second, ${param}, SYSUTCDATETIME())`,
};

export function sessionClockSql(dialect: SqlDialect): SessionClockSql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}

/** The session clock of the connection behind a manager. */
export function sessionClockFor(manager: EntityManager): SessionClockSql {
  return sessionClockSql(dialectOf(manager.connection));
}
