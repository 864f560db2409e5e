import type { SqlDialect } from '@flotilla/platform/config';

/** The fallback counters' table (migration create-sign-in-throttle-1764200000120). */
export const SIGN_IN_THROTTLE_TABLE = 'sign_in_throttle';

/** Both dialects' statements side by side; the time is always the database's. */
export interface SignInThrottleSql {
  /**
   * [key]: a row for the key, expired a day ago (so the next reserve starts a window); no-op if
   * there. Not expired "now": each statement reads its own clock, and one whose time read a little
   * earlier than the insert's saw the row as running, counted 0 → 1 in that empty window, and the
   * next reserve restarted the window at 1 again (two attempts given count 1 in CI).
   */
  insertIfAbsent: string;
  /**
   * [key, max, windowMs]: one more failure if the window still has room, or a new window of 1 if
   * it ended. Row-locking UPDATE, so concurrent reserves of one key take distinct counts. With
   * `reserveReturnsCount` it returns the new count as `failures`, or no row (full, or no row yet);
   * otherwise it returns nothing, and `count` read in the same transaction (the UPDATE's row lock
   * is held until commit) gives the new count.
   */
  reserve: string;
  reserveReturnsCount: boolean;
  /** [key]: `failures` now. */
  count: string;
  /** [key]: `failures` and the window's remaining milliseconds as `remaining_ms`. */
  remaining: string;
  /** [key]: one failure fewer, if the window is still running and holds any. */
  release: string;
  /** [key] */
  reset: string;
  /** []: rows whose window ended, so unknown names and addresses do not pile up. */
  deleteExpired: string;
}

const T = SIGN_IN_THROTTLE_TABLE;

const POSTGRES: SignInThrottleSql = {
  insertIfAbsent:
    `INSERT INTO ${T} (throttle_key, failures, window_ends_at) VALUES ($1, 0, CURRENT_TIMESTAMP - INTERVAL '1 day') ` +
    'ON CONFLICT (throttle_key) DO NOTHING',
  reserve:
    `UPDATE ${T} SET ` +
    'failures = CASE WHEN window_ends_at <= CURRENT_TIMESTAMP THEN 1 ELSE failures + 1 END, ' +
    'window_ends_at = CASE WHEN window_ends_at <= CURRENT_TIMESTAMP ' +
    "THEN CURRENT_TIMESTAMP + ($3 * INTERVAL '1 millisecond') ELSE window_ends_at END " +
    'WHERE throttle_key = $1 AND (window_ends_at <= CURRENT_TIMESTAMP OR failures < $2) RETURNING failures',
  reserveReturnsCount: true,
  count: `SELECT failures FROM ${T} WHERE throttle_key = $1`,
  remaining:
    'SELECT failures, CAST(CEIL(EXTRACT(EPOCH FROM (window_ends_at - CURRENT_TIMESTAMP)) * 1000) AS bigint) ' +
    `AS remaining_ms FROM ${T} WHERE throttle_key = $1`,
  release:
    `UPDATE ${T} SET failures = failures - 1 ` +
    'WHERE throttle_key = $1 AND failures > 0 AND window_ends_at > CURRENT_TIMESTAMP',
  reset: `DELETE FROM ${T} WHERE throttle_key = $1`,
  deleteExpired: `DELETE FROM ${T} WHERE window_ends_at <= CURRENT_TIMESTAMP`,
};

// No MERGE (Babelfish has none): insert-if-absent, whose lost race is a key violation the caller
// ignores, then the conditional UPDATE, which SQL Server also evaluates against the row it locked.
// SET expressions read the row as it was before the statement on both servers. No OUTPUT: on
// Babelfish, UPDATE … OUTPUT inserted.failures returned the same count to two concurrent updates
// of one row (30 parallel reserves: 8 twice, 9 never), so the count is read after the UPDATE in
// its transaction instead.
const MSSQL: SignInThrottleSql = {
  insertIfAbsent:
    `INSERT INTO ${T} (throttle_key, failures, window_ends_at) SELECT @0, 0, DATEADD(day, -1, SYSUTCDATETIME()) ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${T} WHERE throttle_key = @0)`,
  reserve:
    `UPDATE ${T} SET ` +
    'failures = CASE WHEN window_ends_at <= SYSUTCDATETIME() THEN 1 ELSE failures + 1 END, ' +
    'window_ends_at = CASE WHEN window_ends_at <= SYSUTCDATETIME() ' +
    'THEN DATEADD(millisecond, @2, SYSUTCDATETIME()) ELSE window_ends_at END ' +
    'WHERE throttle_key = @0 AND (window_ends_at <= SYSUTCDATETIME() OR failures < @1)',
  reserveReturnsCount: false,
  count: `SELECT failures FROM ${T} WHERE throttle_key = @0`,
  // DATEDIFF in milliseconds fits an int for windows up to 24.8 days (the setting stops at one).
  remaining: `SELECT failures, DATEDIFF(millisecond, SYSUTCDATETIME(), window_ends_at) AS remaining_ms FROM ${T} WHERE throttle_key = @0`,
  release:
    `UPDATE ${T} SET failures = failures - 1 ` +
    'WHERE throttle_key = @0 AND failures > 0 AND window_ends_at > SYSUTCDATETIME()',
  reset: `DELETE FROM ${T} WHERE throttle_key = @0`,
  deleteExpired: `DELETE FROM ${T} WHERE window_ends_at <= SYSUTCDATETIME()`,
};

export function signInThrottleSql(dialect: SqlDialect): SignInThrottleSql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
