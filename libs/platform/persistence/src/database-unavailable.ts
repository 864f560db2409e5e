/**
 * Connection-level database errors: the server is restarting, shutting down, starting up, failing
 * over or out of reach. Such an error says nothing about the request itself, so callers answer
 * "unavailable, retry shortly" instead of failing the work (gRPC UNAVAILABLE, HTTP 503).
 * A constraint violation, a deadlock or a slow query is not one of them.
 */

/**
 * PostgreSQL SQLSTATEs besides class 08 (connection exception): 57P01 admin_shutdown (also a
 * pg_terminate_backend), 57P02 crash_shutdown, 57P03 cannot_connect_now ("the database system is
 * starting up / shutting down"), 53300 too_many_connections.
 */
const PG_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Node socket errnos on connect, read or write (pg carries them as `code`; tedious as its `cause`). */
const SOCKET_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Errors pg and pg-pool raise without a code when the connection is lost or cannot be made. */
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated\b/, // "…unexpectedly", "…due to connection timeout", or closed under us
  /^timeout exceeded when trying to connect$/, // pg-pool connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable$/,
];

/**
 * tedious / mssql codes that only ever mean the connection: ESOCKET (lost or refused), ECONNCLOSED
 * and ENOTOPEN (mssql: the connection or pool is closed or not open yet), EINSTLOOKUP (SQL Browser
 * lookup of a named instance failed), ECLOSE (tedious: connection closed before the request completed).
 */
const MSSQL_CONNECTION_CODES = new Set(['ESOCKET', 'ECONNCLOSED', 'ENOTOPEN', 'EINSTLOOKUP', 'ECLOSE']);

/**
 * SQL Server error numbers of an instance or database that is restarting, recovering, failing over
 * or refusing connections for now; taken from Microsoft's transient-error lists (SqlClient's
 * baseline list, EF Core's SqlServerTransientExceptionDetector) and sys.messages, keeping only the
 * ones about availability. Deliberately absent: 1205 (deadlock), 1222 (lock timeout), constraint
 * violations, and -2 (a client-side timeout: the statement may have completed).
 */
const MSSQL_UNAVAILABLE_NUMBERS = new Set([
  // Transport: the connection broke or could not be made.
  64, 121, 233, 10053, 10054, 10060,
  // The instance is shutting down; the login timed out under load.
  6002, 6005, 17197,
  // The database is starting, recovering, in transition or offline for now.
  615, 921, 922, 952, 4060, 18401,
  // Always On: the replica is changing roles or lacks quorum.
  976, 978, 983, 988, 4221,
  // Azure SQL: reconfiguration, failover, service busy, resource limits reached.
  40143, 40197, 40501, 40540, 40613, 49918, 49919, 49920, 10928, 10929,
]);

interface ErrorFields {
  name?: unknown;
  code?: unknown;
  number?: unknown;
  message?: unknown;
  driverError?: unknown;
  originalError?: unknown;
  cause?: unknown;
  errors?: unknown;
  precedingErrors?: unknown;
}

/** One error object, not what it wraps. */
function isUnavailableItself(error: ErrorFields): boolean {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code !== undefined) {
    if (/^08[0-9A-Z]{3}$/.test(code) || PG_SQLSTATES.has(code)) return true;
    if (SOCKET_ERRNOS.has(code) || MSSQL_CONNECTION_CODES.has(code)) return true;
    // ETIMEOUT is also a request timeout (RequestError); only the connect timeout is an outage.
    if (code === 'ETIMEOUT' && isConnectionError(error)) return true;
  }
  if (typeof error.number === 'number' && MSSQL_UNAVAILABLE_NUMBERS.has(error.number)) return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return PG_CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}

/** mssql names its class; tedious's ConnectionError keeps Error's name but not its constructor's. */
function isConnectionError(error: ErrorFields): boolean {
  return error.name === 'ConnectionError' || error.constructor?.name === 'ConnectionError';
}

/** What an error wraps: TypeORM's driverError, mssql's originalError, `cause`, aggregated errors. */
function wrapped(error: ErrorFields): unknown[] {
  const inner = [error.driverError, error.originalError, error.cause];
  for (const list of [error.errors, error.precedingErrors])
    if (Array.isArray(list)) inner.push(...(list as unknown[]));
  return inner;
}

/**
 * True when the error, or anything it wraps, is a connection-level error of PostgreSQL (`pg`) or
 * SQL Server (`mssql` / tedious).
 */
export function isDatabaseUnavailableError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    const fields = next as ErrorFields;
    if (isUnavailableItself(fields)) return true;
    pending.push(...wrapped(fields));
  }
  return false;
}
