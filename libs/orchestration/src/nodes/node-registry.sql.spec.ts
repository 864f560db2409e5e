import { nodeRegistrySql } from './node-registry.sql';

describe(nodeRegistrySql.name, () => {
  const postgres = nodeRegistrySql('postgres');
  const mssql = nodeRegistrySql('mssql');

  it('stamps heartbeats with the database clock and keeps the first registration time', () => {
    expect(postgres.heartbeat).toBe(
      'UPDATE cluster_nodes SET services = $1, version = $2, last_seen = CURRENT_TIMESTAMP, ' +
        'stopping_since = CASE WHEN $4::integer = 1 THEN COALESCE(stopping_since, CURRENT_TIMESTAMP) ' +
        'WHEN $4::integer = 0 THEN NULL ELSE stopping_since END WHERE name = $3',
    );
    expect(mssql.heartbeat).toBe(
      'UPDATE cluster_nodes SET services = @0, version = @1, last_seen = SYSUTCDATETIME(), ' +
        'stopping_since = CASE WHEN @3 = 1 THEN COALESCE(stopping_since, SYSUTCDATETIME()) ' +
        'WHEN @3 = 0 THEN NULL ELSE stopping_since END WHERE name = @2',
    );
  });

  it('judges a node offline by comparing last_seen with the database clock minus the timeout', () => {
    expect(postgres.list).toContain(
      "CASE WHEN n.last_seen < (CURRENT_TIMESTAMP + ($1::integer * INTERVAL '1 millisecond')) THEN 1 ELSE 0 END AS is_offline",
    );
    expect(mssql.list).toContain(
      'CASE WHEN n.last_seen < DATEADD(millisecond, @0, SYSUTCDATETIME()) THEN 1 ELSE 0 END AS is_offline',
    );
  });

  it('creates a node row with its default task cap only when absent, without a failing statement', () => {
    expect(postgres.insertIfAbsent).toBe(
      'INSERT INTO cluster_nodes (name, services, version, started_at, last_seen, task_cap, is_draining) ' +
        "VALUES ($1, '[]', $2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, $3, false) ON CONFLICT (name) DO NOTHING",
    );
    expect(mssql.insertIfAbsent).toContain(
      'WHERE NOT EXISTS (SELECT 1 FROM cluster_nodes WITH (UPDLOCK, HOLDLOCK) WHERE name = @0)',
    );
  });

  it('locks the node row for a claim, with its liveness by database time', () => {
    expect(postgres.lockForClaim).toBe(
      'SELECT n.task_cap, n.is_draining, CASE WHEN n.stopping_since IS NULL THEN 0 ELSE 1 END AS is_stopping, ' +
        "(SELECT COUNT(*) FROM server_tasks t WHERE t.node_name = n.name AND t.state IN ('Executing', 'Cancelling')) AS running_tasks, " +
        "CASE WHEN n.last_seen < (CURRENT_TIMESTAMP + ($2::integer * INTERVAL '1 millisecond')) THEN 1 ELSE 0 END AS is_offline " +
        'FROM cluster_nodes n WHERE n.name = $1 FOR UPDATE',
    );
    // SQL Server: a no-op UPDATE takes the row lock (table hints are ignored by Babelfish).
    expect(mssql.lockForClaim).toMatch(
      /^UPDATE cluster_nodes SET task_cap = task_cap WHERE name = @0; SELECT n\.task_cap, .* FROM cluster_nodes n WHERE n\.name = @0$/,
    );
    expect(mssql.lockForClaim).not.toContain('WITH (');
  });

  it('locks the node row before merging a heartbeat into its services', () => {
    expect(postgres.lockServices).toBe('SELECT services FROM cluster_nodes WHERE name = $1 FOR UPDATE');
    expect(mssql.lockServices).toBe(
      'UPDATE cluster_nodes SET task_cap = task_cap WHERE name = @0; SELECT services FROM cluster_nodes WHERE name = @0',
    );
  });

  it('removes a node only while the database clock says it is offline', () => {
    expect(postgres.removeOffline).toBe(
      "DELETE FROM cluster_nodes WHERE name = $1 AND last_seen < (CURRENT_TIMESTAMP + ($2::integer * INTERVAL '1 millisecond'))",
    );
    expect(mssql.removeOffline).toBe(
      'DELETE FROM cluster_nodes WHERE name = @0 AND last_seen < DATEADD(millisecond, @1, SYSUTCDATETIME())',
    );
  });

  it('numbers parameters the way each driver expects', () => {
    for (const sql of Object.values(postgres)) expect(sql).not.toMatch(/@\d/);
    for (const sql of Object.values(mssql)) expect(sql).not.toMatch(/\$\d/);
  });
});
