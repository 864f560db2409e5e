import type { SqlDialect } from '@flotilla/platform/config';
import { dialectSql } from '@flotilla/platform/persistence';

/**
 * Node-registry SQL, PostgreSQL and SQL Server side by side. Liveness is judged by the database
 * clock only: `last_seen` is written with the database's now and compared with it.
 * Shapes are pinned by node-registry.sql.spec.ts; change both dialects together.
 */
export interface NodeRegistrySql {
  /** Creates the node row if absent; the task cap is set here only. Params: name, version, task cap. */
  insertIfAbsent: string;
  /** Locks the row so concurrent heartbeats of one node's services merge their names. Params: name. */
  lockServices: string;
  /**
   * Keeps started_at (the first registration: it orders nodes for the licence). Params: services
   * JSON, version, name, stopping (1 stopping, 0 not, NULL: a service that does not say, so
   * stopping_since is left as it is).
   */
  heartbeat: string;
  /** Every node with its liveness and running-task count. Params: negative heartbeat timeout ms. */
  list: string;
  /**
   * Locks the node row for the rest of a claim transaction, so claims for one node are serialised
   * and the task-cap count in the claim sees every earlier claim. Its own running count is a hint
   * only (PostgreSQL may read it from before the lock wait); the claim's count is the guard.
   * Params: name, negative timeout ms.
   */
  lockForClaim: string;
  /** Deletes the node only while it is offline. Params: name, negative heartbeat timeout ms. */
  removeOffline: string;
}

const postgresFragments = dialectSql('postgres');
const mssqlFragments = dialectSql('mssql');
/**
 * SQL Server: the row lock a claim or a heartbeat merge serialises on is taken by a no-op UPDATE
 * (an exclusive row lock held to the end of the transaction on SQL Server, a row lock on MVCC
 * servers such as Babelfish), not by UPDLOCK on the SELECT: table hints are only honoured by
 * SQL Server (Babelfish accepts and ignores them), and correctness must not rest on them.
 * The SELECT after it is a statement of its own, so under READ COMMITTED it sees every
 * transaction that held the lock before.
 */
const MSSQL_LOCK_NODE = 'UPDATE cluster_nodes SET task_cap = task_cap WHERE name = @0; ';
const RUNNING =
  "(SELECT COUNT(*) FROM server_tasks t WHERE t.node_name = n.name AND t.state IN ('Executing', 'Cancelling'))";
const IS_STOPPING = 'CASE WHEN n.stopping_since IS NULL THEN 0 ELSE 1 END AS is_stopping';
const COLUMNS = `n.name, n.services, n.version, n.started_at, n.last_seen, n.task_cap, n.is_draining, ${IS_STOPPING}`;

function stoppingSince(param: string, now: string): string {
  return (
    `stopping_since = CASE WHEN ${param} = 1 THEN COALESCE(stopping_since, ${now}) ` +
    `WHEN ${param} = 0 THEN NULL ELSE stopping_since END`
  );
}

const POSTGRES: NodeRegistrySql = {
  insertIfAbsent:
    'INSERT INTO cluster_nodes (name, services, version, started_at, last_seen, task_cap, is_draining) ' +
    "VALUES ($1, '[]', $2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, $3, false) ON CONFLICT (name) DO NOTHING",
  lockServices: 'SELECT services FROM cluster_nodes WHERE name = $1 FOR UPDATE',
  heartbeat:
    'UPDATE cluster_nodes SET services = $1, version = $2, last_seen = CURRENT_TIMESTAMP, ' +
    `${stoppingSince('$4::integer', 'CURRENT_TIMESTAMP')} WHERE name = $3`,
  list:
    `SELECT ${COLUMNS}, CASE WHEN n.last_seen < ${postgresFragments.nowPlusMs('$1::integer')} THEN 1 ELSE 0 END AS is_offline, ` +
    `${RUNNING} AS running_tasks FROM cluster_nodes n ORDER BY n.name`,
  lockForClaim:
    `SELECT n.task_cap, n.is_draining, ${IS_STOPPING}, ${RUNNING} AS running_tasks, ` +
    `CASE WHEN n.last_seen < ${postgresFragments.nowPlusMs('$2::integer')} THEN 1 ELSE 0 END AS is_offline ` +
    'FROM cluster_nodes n WHERE n.name = $1 FOR UPDATE',
  removeOffline: `DELETE FROM cluster_nodes WHERE name = $1 AND last_seen < ${postgresFragments.nowPlusMs('$2::integer')}`,
};

const MSSQL: NodeRegistrySql = {
  insertIfAbsent:
    'INSERT INTO cluster_nodes (name, services, version, started_at, last_seen, task_cap, is_draining) ' +
    "SELECT @0, '[]', @1, SYSUTCDATETIME(), SYSUTCDATETIME(), @2, 0 " +
    'WHERE NOT EXISTS (SELECT 1 FROM cluster_nodes WITH (UPDLOCK, HOLDLOCK) WHERE name = @0)',
  lockServices: `${MSSQL_LOCK_NODE}SELECT services FROM cluster_nodes WHERE name = @0`,
  heartbeat:
    'UPDATE cluster_nodes SET services = @0, version = @1, last_seen = SYSUTCDATETIME(), ' +
    `${stoppingSince('@3', 'SYSUTCDATETIME()')} WHERE name = @2`,
  list:
    `SELECT ${COLUMNS}, CASE WHEN n.last_seen < ${mssqlFragments.nowPlusMs('@0')} THEN 1 ELSE 0 END AS is_offline, ` +
    `${RUNNING} AS running_tasks FROM cluster_nodes n ORDER BY n.name`,
  lockForClaim:
    `${MSSQL_LOCK_NODE}SELECT n.task_cap, n.is_draining, ${IS_STOPPING}, ${RUNNING} AS running_tasks, ` +
    `CASE WHEN n.last_seen < ${mssqlFragments.nowPlusMs('@1')} THEN 1 ELSE 0 END AS is_offline ` +
    'FROM cluster_nodes n WHERE n.name = @0',
  removeOffline: `DELETE FROM cluster_nodes WHERE name = @0 AND last_seen < ${mssqlFragments.nowPlusMs('@1')}`,
};

export function nodeRegistrySql(dialect: SqlDialect): NodeRegistrySql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
