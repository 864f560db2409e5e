import type { SqlDialect } from '@flotilla/platform/config';

/**
 * The delivery state's SQL, PostgreSQL and SQL Server side by side. Each write is one conditional
 * UPDATE whose returned row says whether it applied, on the database clock, so any number of audit
 * services share destinations without a leader (DESIGN.md: claims and fencing).
 *
 * The lease: whoever took it (an UPDATE of an expired or never-taken lease, which raises
 * lease_token) delivers the destination until lease_expires_at, renewing it with its token. The
 * token fences the cursor: an advance names it, and a node that lost the lease (paused, cut off,
 * declared dead by expiry) holds an older token, so its late advance changes nothing.
 */
export interface AuditStreamSql {
  /** Takes an enabled destination whose lease is free or expired; returns lease_token. Params: holder, ttlMs, id. */
  acquire: string;
  /** Extends the lease if the token is still current and the destination enabled; returns lease_token. Params: ttlMs, id, token. */
  renew: string;
  /**
   * Moves the cursor to a chain number the destination acknowledged if the token is current, and
   * clears the last error; never moves it back. Returns cursor_sequence. Params: sequence, id, token.
   */
  advance: string;
  /** Records a failed delivery if the token is current. Params: message, id, token. */
  recordError: string;
  /** Ends the lease now (a stopping service), if the token is current. Params: id, token. */
  release: string;
  /** Every destination with the chain head, the oldest undelivered event's time and the clock. */
  status: string;
}

const STATUS_COLUMNS =
  's.id, s.name, s.kind, s.enabled, s.target, s.facility, s.cursor_sequence, s.delivered_at, s.lease_holder, ' +
  's.lease_expires_at, s.last_error, s.last_error_at, h.sequence_number AS head_sequence, ' +
  '(SELECT e.recorded_at FROM audit_events e WHERE e.sequence_number = s.cursor_sequence + 1) AS oldest_undelivered_at';

const POSTGRES: AuditStreamSql = {
  acquire:
    "UPDATE audit_streams SET lease_holder = $1, lease_token = lease_token + 1, lease_expires_at = CURRENT_TIMESTAMP + ($2 * INTERVAL '1 millisecond') " +
    'WHERE id = $3 AND enabled = TRUE AND (lease_expires_at IS NULL OR lease_expires_at <= CURRENT_TIMESTAMP) RETURNING lease_token',
  renew:
    "UPDATE audit_streams SET lease_expires_at = CURRENT_TIMESTAMP + ($1 * INTERVAL '1 millisecond') " +
    'WHERE id = $2 AND lease_token = $3 AND enabled = TRUE RETURNING lease_token',
  advance:
    'UPDATE audit_streams SET cursor_sequence = $1, delivered_at = CURRENT_TIMESTAMP, last_error = NULL, last_error_at = NULL ' +
    'WHERE id = $2 AND lease_token = $3 AND cursor_sequence <= $1 RETURNING cursor_sequence',
  recordError:
    'UPDATE audit_streams SET last_error = $1, last_error_at = CURRENT_TIMESTAMP WHERE id = $2 AND lease_token = $3 RETURNING lease_token',
  release:
    'UPDATE audit_streams SET lease_holder = NULL, lease_expires_at = CURRENT_TIMESTAMP WHERE id = $1 AND lease_token = $2 RETURNING lease_token',
  status: `SELECT ${STATUS_COLUMNS}, CURRENT_TIMESTAMP AS now FROM audit_streams s CROSS JOIN audit_chain_head h ORDER BY s.name, s.id`,
};

const MSSQL: AuditStreamSql = {
  acquire:
    'UPDATE audit_streams SET lease_holder = @0, lease_token = lease_token + 1, lease_expires_at = DATEADD(millisecond, @1, SYSUTCDATETIME()) ' +
    'OUTPUT INSERTED.lease_token WHERE id = @2 AND enabled = 1 AND (lease_expires_at IS NULL OR lease_expires_at <= SYSUTCDATETIME())',
  renew:
    'UPDATE audit_streams SET lease_expires_at = DATEADD(millisecond, @0, SYSUTCDATETIME()) ' +
    'OUTPUT INSERTED.lease_token WHERE id = @1 AND lease_token = @2 AND enabled = 1',
  advance:
    'UPDATE audit_streams SET cursor_sequence = @0, delivered_at = SYSUTCDATETIME(), last_error = NULL, last_error_at = NULL ' +
    'OUTPUT INSERTED.cursor_sequence WHERE id = @1 AND lease_token = @2 AND cursor_sequence <= @0',
  recordError:
    'UPDATE audit_streams SET last_error = @0, last_error_at = SYSUTCDATETIME() OUTPUT INSERTED.lease_token WHERE id = @1 AND lease_token = @2',
  release:
    'UPDATE audit_streams SET lease_holder = NULL, lease_expires_at = SYSUTCDATETIME() OUTPUT INSERTED.lease_token WHERE id = @0 AND lease_token = @1',
  status: `SELECT ${STATUS_COLUMNS}, SYSUTCDATETIME() AS now FROM audit_streams s CROSS JOIN audit_chain_head h ORDER BY s.name, s.id`,
};

export function auditStreamSql(dialect: SqlDialect): AuditStreamSql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
