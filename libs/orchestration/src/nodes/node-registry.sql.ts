import type { SqlDialect } from '@flotilla/platform/config';
import { dialectSql } from '@flotilla/platform/persistence';

/**
 * Node-registry SQL, PostgreSQL and SQL Server side by side. Liveness is judged by the database
 * clock only: `last_seen` is written with the database's now and compared with it.
 */
export interface NodeRegistrySql {
  /** Creates the node row if absent. Params: name, version. */
  insertIfAbsent: string;
  /** Locks the row so concurrent heartbeats of one node's services merge their names. Params: name. */
  lockServices: string;
  /** Params: services JSON, version, negative heartbeat timeout ms, name. */
  heartbeat: string;
  /** Every node with its liveness and running-task count. Params: negative heartbeat timeout ms. */
  list: string;
}

const postgresNow = dialectSql('postgres');
const mssqlNow = dialectSql('mssql');
const RUNNING =
  "(SELECT COUNT(*) FROM server_tasks t WHERE t.node_name = n.name AND t.state IN ('Executing', 'Cancelling'))";
const COLUMNS = 'n.name, n.services, n.version, n.started_at, n.last_seen, n.task_cap, n.is_draining';

const POSTGRES: NodeRegistrySql = {
  insertIfAbsent:
    "INSERT INTO cluster_nodes (name, services, version, started_at, last_seen) VALUES ($1, '[]', $2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) " +
    'ON CONFLICT (name) DO NOTHING',
  lockServices: 'SELECT services FROM cluster_nodes WHERE name = $1 FOR UPDATE',
  heartbeat:
    'UPDATE cluster_nodes SET services = $1, version = $2, last_seen = CURRENT_TIMESTAMP, ' +
    // A node back after being declared dead has restarted: its uptime starts again.
    `started_at = CASE WHEN last_seen < ${postgresNow.nowPlusMs('$3::integer')} THEN CURRENT_TIMESTAMP ELSE started_at END ` +
    'WHERE name = $4',
  list:
    `SELECT ${COLUMNS}, CASE WHEN n.last_seen < ${postgresNow.nowPlusMs('$1::integer')} THEN 1 ELSE 0 END AS is_offline, ` +
    `${RUNNING} AS running_tasks FROM cluster_nodes n ORDER BY n.name`,
};

const MSSQL: NodeRegistrySql = {
  insertIfAbsent:
    "INSERT INTO cluster_nodes (name, services, version, started_at, last_seen) SELECT @0, '[]', @1, SYSUTCDATETIME(), SYSUTCDATETIME() " +
    'WHERE NOT EXISTS (SELECT 1 FROM cluster_nodes WITH (UPDLOCK, HOLDLOCK) WHERE name = @0)',
  lockServices: 'SELECT services FROM cluster_nodes WITH (UPDLOCK, ROWLOCK) WHERE name = @0',
  heartbeat:
    'UPDATE cluster_nodes SET services = @0, version = @1, last_seen = SYSUTCDATETIME(), ' +
    `started_at = CASE WHEN last_seen < ${mssqlNow.nowPlusMs('@2')} THEN SYSUTCDATETIME() ELSE started_at END ` +
    'WHERE name = @3',
  list:
    `SELECT ${COLUMNS}, CASE WHEN n.last_seen < ${mssqlNow.nowPlusMs('@0')} THEN 1 ELSE 0 END AS is_offline, ` +
    `${RUNNING} AS running_tasks FROM cluster_nodes n ORDER BY n.name`,
};

export function nodeRegistrySql(dialect: SqlDialect): NodeRegistrySql {
  return dialect === 'mssql' ? MSSQL : POSTGRES;
}
