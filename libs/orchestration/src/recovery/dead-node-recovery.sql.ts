import type { SqlDialect } from '@flotilla/platform/config';
import { dialectSql } from '@flotilla/platform/persistence';

/**
 * Dead-node recovery SQL, PostgreSQL and SQL Server side by side. Every write is conditional on
 * the task's claim and state and on its node still being dead by the database clock, so any number
 * of orchestrator replicas can run recovery at once and each task is recovered exactly once.
 * Shapes are pinned by dead-node-recovery.sql.spec.ts; change both dialects together.
 */
export interface DeadNodeRecoverySql {
  /**
   * Owned tasks whose node is offline (or whose node record is gone), with the release's
   * retryable flag. Params: negative heartbeat timeout ms, limit.
   */
  orphaned: string;
  /** Executing → Queued, node cleared, claim and next_step kept. Params: taskId, claim, negative timeout ms. */
  requeue: string;
  /** Executing → Failed / Cancelling → Canceled with the reason. Params: errorMessage, taskId, claim, negative timeout ms. */
  finish: string;
}

const OWNED = "('Executing', 'Cancelling')";
const SELECTED =
  't.id, t.state, t.claim, t.node_name, t.next_step, n.last_seen AS node_last_seen, r.retryable ' +
  'FROM server_tasks t LEFT JOIN cluster_nodes n ON n.name = t.node_name ' +
  'JOIN deployments d ON d.id = t.deployment_id JOIN releases r ON r.id = d.release_id';

function nodeStillDead(nowPlusMs: string): string {
  return `NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = server_tasks.node_name AND n.last_seen >= ${nowPlusMs})`;
}

const pg = dialectSql('postgres');
const ms = dialectSql('mssql');

const POSTGRES: DeadNodeRecoverySql = {
  orphaned:
    `SELECT ${SELECTED} WHERE t.state IN ${OWNED} ` +
    `AND (n.name IS NULL OR n.last_seen < ${pg.nowPlusMs('$1::integer')}) ORDER BY t.started_at ASC, t.id ASC LIMIT $2`,
  requeue:
    "UPDATE server_tasks SET state = 'Queued', node_name = NULL " +
    `WHERE id = $1 AND claim = $2 AND state = 'Executing' AND ${nodeStillDead(pg.nowPlusMs('$3::integer'))} RETURNING state`,
  finish:
    "UPDATE server_tasks SET state = CASE WHEN state = 'Cancelling' THEN 'Canceled' ELSE 'Failed' END, " +
    'error_message = $1, completed_at = CURRENT_TIMESTAMP ' +
    `WHERE id = $2 AND claim = $3 AND state IN ${OWNED} AND ${nodeStillDead(pg.nowPlusMs('$4::integer'))} RETURNING state`,
};

const MSSQL: DeadNodeRecoverySql = {
  orphaned:
    `SELECT TOP (@1) ${SELECTED} WHERE t.state IN ${OWNED} ` +
    `AND (n.name IS NULL OR n.last_seen < ${ms.nowPlusMs('@0')}) ORDER BY t.started_at ASC, t.id ASC`,
  requeue:
    "UPDATE server_tasks SET state = 'Queued', node_name = NULL OUTPUT inserted.state " +
    `WHERE id = @0 AND claim = @1 AND state = 'Executing' AND ${nodeStillDead(ms.nowPlusMs('@2'))}`,
  finish:
    "UPDATE server_tasks SET state = CASE WHEN state = 'Cancelling' THEN 'Canceled' ELSE 'Failed' END, " +
    'error_message = @0, completed_at = SYSUTCDATETIME() OUTPUT inserted.state ' +
    `WHERE id = @1 AND claim = @2 AND state IN ${OWNED} AND ${nodeStillDead(ms.nowPlusMs('@3'))}`,
};

export function deadNodeRecoverySql(dialect: SqlDialect): DeadNodeRecoverySql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
