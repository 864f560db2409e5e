import type { SqlDialect } from '@flotilla/platform/config';

/**
 * The task-queue SQL, PostgreSQL and SQL Server side by side. Every statement is a single
 * conditional write whose affected rows say who won, so any number of orchestrator replicas
 * can serve claims without a leader or long-held locks (DESIGN.md §Server tasks).
 * Shapes are pinned by task-claim.sql.spec.ts; change both dialects together.
 */
export interface TaskQueueSql {
  /** Oldest queued tasks whose concurrency key is free. Params: limit. */
  candidates: string;
  /**
   * Claims one task if still queued and the node runs fewer owned tasks than its cap (counted in
   * the same statement; the caller holds the node's row lock so claims for one node are serialised).
   * Starts the progress clock (last_progress_at) on database time. Returns the new claim number.
   * Params: node, taskId, task cap.
   */
  claim: string;
  /**
   * Takes the concurrency key; zero rows when another task holds it. The primary key is what
   * guarantees one holder; skipping a held key quietly just spares the logs a violation per race.
   * Params: key, taskId, claim.
   */
  lock: string;
  /**
   * Records progress if the claim is current, restarting the progress clock that recovery watches
   * for a hung executor; returns the state. Params: nextStep, taskId, claim.
   */
  progress: string;
  /**
   * Finishes the task if the claim is current, with what its executor says about the log.
   * Params: state, errorMessage, nextStep, taskId, claim, logLinesLost, logProblem.
   */
  complete: string;
  /** Releases the key held by this task and claim. Params: taskId, claim. */
  unlock: string;
  /**
   * Hands an executing task back to the queue if the claim is current; the claim number stays,
   * so the old owner's writes are refused and the next claim raises it. The progress clock is
   * cleared: it belongs to an ownership, and a queued task has none. Params: nextStep, taskId, claim.
   */
  release: string;
  /** Cancelling → Canceled if the claim is current (a released task that was being canceled). Params: errorMessage, nextStep, taskId, claim. */
  cancelOwned: string;
}

const OWNED = "('Executing', 'Cancelling')";

/**
 * next_step only ever moves forward. An executor retries a progress report whose reply it never
 * saw (a database outage, a client timeout), so an older report can commit after a newer one;
 * taking it as is would make recovery run a finished step again. CASE, not GREATEST: portable.
 */
function neverBack(param: string): string {
  return `CASE WHEN next_step > ${param} THEN next_step ELSE ${param} END`;
}
const runningOn = (node: string) =>
  `(SELECT COUNT(*) FROM server_tasks o WHERE o.node_name = ${node} AND o.state IN ${OWNED})`;

const POSTGRES: TaskQueueSql = {
  candidates:
    "SELECT t.id FROM server_tasks t WHERE t.state = 'Queued' " +
    'AND NOT EXISTS (SELECT 1 FROM task_concurrency_locks l WHERE l.concurrency_key = t.concurrency_key) ' +
    'ORDER BY t.queued_at ASC, t.id ASC LIMIT $1',
  claim:
    "UPDATE server_tasks SET state = 'Executing', node_name = $1, claim = claim + 1, " +
    'started_at = CURRENT_TIMESTAMP, last_progress_at = CURRENT_TIMESTAMP ' +
    `WHERE id = $2 AND state = 'Queued' AND ${runningOn('$1')} < $3 RETURNING claim`,
  lock:
    'INSERT INTO task_concurrency_locks (concurrency_key, task_id, claim, acquired_at) VALUES ($1, $2, $3, CURRENT_TIMESTAMP) ' +
    'ON CONFLICT (concurrency_key) DO NOTHING',
  progress:
    `UPDATE server_tasks SET next_step = ${neverBack('$1')}, last_progress_at = CURRENT_TIMESTAMP ` +
    `WHERE id = $2 AND claim = $3 AND state IN ${OWNED} RETURNING state`,
  complete:
    `UPDATE server_tasks SET state = $1, error_message = $2, next_step = ${neverBack('$3')}, log_lines_lost = $6, ` +
    'log_problem = $7, completed_at = CURRENT_TIMESTAMP ' +
    `WHERE id = $4 AND claim = $5 AND state IN ${OWNED} RETURNING state`,
  unlock: 'DELETE FROM task_concurrency_locks WHERE task_id = $1 AND claim = $2',
  release:
    "UPDATE server_tasks SET state = 'Queued', node_name = NULL, next_step = $1, last_progress_at = NULL " +
    "WHERE id = $2 AND claim = $3 AND state = 'Executing' RETURNING state",
  cancelOwned:
    "UPDATE server_tasks SET state = 'Canceled', error_message = $1, next_step = $2, completed_at = CURRENT_TIMESTAMP " +
    "WHERE id = $3 AND claim = $4 AND state = 'Cancelling' RETURNING state",
};

const MSSQL: TaskQueueSql = {
  candidates:
    "SELECT TOP (@0) t.id FROM server_tasks t WHERE t.state = 'Queued' " +
    'AND NOT EXISTS (SELECT 1 FROM task_concurrency_locks l WHERE l.concurrency_key = t.concurrency_key) ' +
    'ORDER BY t.queued_at ASC, t.id ASC',
  claim:
    "UPDATE server_tasks SET state = 'Executing', node_name = @0, claim = claim + 1, " +
    'started_at = SYSUTCDATETIME(), last_progress_at = SYSUTCDATETIME() ' +
    `OUTPUT inserted.claim WHERE id = @1 AND state = 'Queued' AND ${runningOn('@0')} < @2`,
  lock:
    'INSERT INTO task_concurrency_locks (concurrency_key, task_id, claim, acquired_at) SELECT @0, @1, @2, SYSUTCDATETIME() ' +
    'WHERE NOT EXISTS (SELECT 1 FROM task_concurrency_locks WITH (UPDLOCK, HOLDLOCK) WHERE concurrency_key = @0)',
  progress:
    `UPDATE server_tasks SET next_step = ${neverBack('@0')}, last_progress_at = SYSUTCDATETIME() ` +
    `OUTPUT inserted.state WHERE id = @1 AND claim = @2 AND state IN ${OWNED}`,
  complete:
    `UPDATE server_tasks SET state = @0, error_message = @1, next_step = ${neverBack('@2')}, log_lines_lost = @5, ` +
    'log_problem = @6, completed_at = SYSUTCDATETIME() ' +
    `OUTPUT inserted.state WHERE id = @3 AND claim = @4 AND state IN ${OWNED}`,
  unlock: 'DELETE FROM task_concurrency_locks WHERE task_id = @0 AND claim = @1',
  release:
    "UPDATE server_tasks SET state = 'Queued', node_name = NULL, next_step = @0, last_progress_at = NULL " +
    "OUTPUT inserted.state WHERE id = @1 AND claim = @2 AND state = 'Executing'",
  cancelOwned:
    "UPDATE server_tasks SET state = 'Canceled', error_message = @0, next_step = @1, completed_at = SYSUTCDATETIME() " +
    "OUTPUT inserted.state WHERE id = @2 AND claim = @3 AND state = 'Cancelling'",
};

export function taskQueueSql(dialect: SqlDialect): TaskQueueSql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
