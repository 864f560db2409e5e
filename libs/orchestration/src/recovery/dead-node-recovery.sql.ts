import type { SqlDialect } from '@flotilla/platform/config';
import { dialectSql } from '@flotilla/platform/persistence';

/**
 * Recovery SQL, PostgreSQL and SQL Server side by side. A task is orphaned when its node is dead,
 * or when its node lives on but the executor owning the task stopped reporting progress. Every
 * write is conditional on the task's claim and state and re-checks the same orphaned condition by
 * the database clock, so any number of orchestrator replicas can run recovery at once and each
 * task is recovered exactly once. Shapes are pinned by dead-node-recovery.sql.spec.ts; change both
 * dialects together.
 */
export interface DeadNodeRecoverySql {
  /**
   * Orphaned owned tasks, with why (`node_dead` 1: the node; 0: the executor's progress), the
   * node's last heartbeat, the last progress, the recovery count, the release's retryable flag and
   * its steps (the snapshot's JSON text, counted by the caller: JSON functions differ between the
   * dialects). Params: negative heartbeat timeout ms, limit.
   */
  orphaned: string;
  /**
   * Executing → Queued, node and progress clock cleared, recovery count raised, claim and
   * next_step kept. Params: taskId, claim, negative timeout ms.
   */
  requeue: string;
  /**
   * Executing → the given final state (Failed, or Success when every step was recorded) with its
   * message; Cancelling → Canceled with its own message, decided here because a cancel may land
   * between the read and this write. Returns the state written. Params: state if executing,
   * errorMessage if executing, errorMessage if cancelling, taskId, claim, negative timeout ms.
   */
  finish: string;
}

/**
 * How long the node must have gone on heartbeating after the executor's last progress report
 * before the silence is blamed on the executor. When a whole node dies, its last heartbeat and its
 * executor's last report (sent every second) are about a second apart at most: this keeps such a
 * task's reason "node X stopped responding" instead of blaming the executor a moment earlier. A
 * hung executor on a live node is still caught at the heartbeat timeout whenever the timeout minus
 * one heartbeat interval exceeds the grace (30 s / 5 s by default, 4 s / 1 s in the HA tests):
 * by then the node has beaten at least that long past the executor's last report.
 */
export const PROGRESS_GRACE_MS = 2000;

interface ClockSql {
  /** The database's now shifted by the (negative) timeout held in the given parameter. */
  cutoff: string;
  /** A timestamp column plus PROGRESS_GRACE_MS. */
  plusGrace(column: string): string;
}

const OWNED = "('Executing', 'Cancelling')";

function nodeDead(task: string, clock: ClockSql): string {
  return `NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = ${task}.node_name AND n.last_seen >= ${clock.cutoff})`;
}

/**
 * NULL last_progress_at (a node that predates the column) never matches; nor does a value older
 * than started_at, left by a current owner whose claim was made by an orchestrator that does not
 * write it.
 */
function progressStopped(task: string, clock: ClockSql): string {
  return (
    `(${task}.last_progress_at >= ${task}.started_at AND ${task}.last_progress_at < ${clock.cutoff} ` +
    `AND EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = ${task}.node_name ` +
    `AND n.last_seen >= ${clock.plusGrace(`${task}.last_progress_at`)}))`
  );
}

function orphaned(task: string, clock: ClockSql): string {
  return `(${nodeDead(task, clock)} OR ${progressStopped(task, clock)})`;
}

function selected(clock: ClockSql): string {
  return (
    't.id, t.state, t.claim, t.node_name, t.next_step, t.last_progress_at, t.recovery_count, ' +
    `CASE WHEN ${nodeDead('t', clock)} THEN 1 ELSE 0 END AS node_dead, ` +
    'nl.last_seen AS node_last_seen, r.retryable, r.steps ' +
    'FROM server_tasks t LEFT JOIN cluster_nodes nl ON nl.name = t.node_name ' +
    'JOIN deployments d ON d.id = t.deployment_id JOIN releases r ON r.id = d.release_id ' +
    `WHERE t.state IN ${OWNED} AND ${orphaned('t', clock)}`
  );
}

const REQUEUE_SET =
  "UPDATE server_tasks SET state = 'Queued', node_name = NULL, last_progress_at = NULL, " +
  'recovery_count = recovery_count + 1';
/** Both CASEs read the row as it was before this update, on both dialects. */
const finishSet = (state: string, message: string, canceledMessage: string) =>
  `UPDATE server_tasks SET state = CASE WHEN state = 'Cancelling' THEN 'Canceled' ELSE ${state} END, ` +
  `error_message = CASE WHEN state = 'Cancelling' THEN ${canceledMessage} ELSE ${message} END, `;

const pg = dialectSql('postgres');
const ms = dialectSql('mssql');
const pgClock = (param: string): ClockSql => ({
  cutoff: pg.nowPlusMs(param),
  plusGrace: (column) => `(${column} + INTERVAL '${PROGRESS_GRACE_MS} milliseconds')`,
});
const msClock = (param: string): ClockSql => ({
  cutoff: ms.nowPlusMs(param),
  plusGrace: (column) => `DATEADD(millisecond, ${PROGRESS_GRACE_MS}, ${column})`,
});

const POSTGRES: DeadNodeRecoverySql = {
  orphaned: `SELECT ${selected(pgClock('$1::integer'))} ORDER BY t.started_at ASC, t.id ASC LIMIT $2`,
  requeue:
    `${REQUEUE_SET} WHERE id = $1 AND claim = $2 AND state = 'Executing' ` +
    `AND ${orphaned('server_tasks', pgClock('$3::integer'))} RETURNING state`,
  finish:
    `${finishSet('$1', '$2', '$3')}completed_at = CURRENT_TIMESTAMP ` +
    `WHERE id = $4 AND claim = $5 AND state IN ${OWNED} AND ${orphaned('server_tasks', pgClock('$6::integer'))} RETURNING state`,
};

const MSSQL: DeadNodeRecoverySql = {
  orphaned: `SELECT TOP (@1) ${selected(msClock('@0'))} ORDER BY t.started_at ASC, t.id ASC`,
  requeue:
    `${REQUEUE_SET} OUTPUT inserted.state WHERE id = @0 AND claim = @1 AND state = 'Executing' ` +
    `AND ${orphaned('server_tasks', msClock('@2'))}`,
  finish:
    `${finishSet('@0', '@1', '@2')}completed_at = SYSUTCDATETIME() OUTPUT inserted.state ` +
    `WHERE id = @3 AND claim = @4 AND state IN ${OWNED} AND ${orphaned('server_tasks', msClock('@5'))}`,
};

export function deadNodeRecoverySql(dialect: SqlDialect): DeadNodeRecoverySql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
