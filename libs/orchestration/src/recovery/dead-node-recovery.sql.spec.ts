import { deadNodeRecoverySql } from './dead-node-recovery.sql';

describe(deadNodeRecoverySql.name, () => {
  const postgres = deadNodeRecoverySql('postgres');
  const mssql = deadNodeRecoverySql('mssql');
  const stillDeadPg =
    "NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = server_tasks.node_name AND n.last_seen >= (CURRENT_TIMESTAMP + ($3::integer * INTERVAL '1 millisecond')))";

  it('finds owned tasks of nodes dead by the database clock, or whose node record is gone', () => {
    expect(postgres.orphaned).toContain(
      "WHERE t.state IN ('Executing', 'Cancelling') AND (n.name IS NULL OR n.last_seen < (CURRENT_TIMESTAMP + ($1::integer * INTERVAL '1 millisecond')))",
    );
    expect(mssql.orphaned).toMatch(/^SELECT TOP \(@1\) /);
    expect(mssql.orphaned).toContain('n.last_seen < DATEADD(millisecond, @0, SYSUTCDATETIME())');
  });

  it('re-queues only with the same claim, from Executing, while the node is still dead, keeping next_step', () => {
    expect(postgres.requeue).toBe(
      "UPDATE server_tasks SET state = 'Queued', node_name = NULL " +
        `WHERE id = $1 AND claim = $2 AND state = 'Executing' AND ${stillDeadPg} RETURNING state`,
    );
    expect(postgres.requeue).not.toContain('next_step');
    expect(mssql.requeue).toContain(
      "OUTPUT inserted.state WHERE id = @0 AND claim = @1 AND state = 'Executing' AND NOT EXISTS",
    );
  });

  it('fails (or finishes canceling) only with the same claim while the node is still dead, on database time', () => {
    expect(postgres.finish).toContain(
      "SET state = CASE WHEN state = 'Cancelling' THEN 'Canceled' ELSE 'Failed' END",
    );
    expect(postgres.finish).toContain('completed_at = CURRENT_TIMESTAMP WHERE id = $2 AND claim = $3');
    expect(mssql.finish).toContain(
      'completed_at = SYSUTCDATETIME() OUTPUT inserted.state WHERE id = @1 AND claim = @2',
    );
  });

  it('numbers parameters the way each driver expects', () => {
    for (const sql of Object.values(postgres)) expect(sql).not.toMatch(/@\d/);
    for (const sql of Object.values(mssql)) expect(sql).not.toMatch(/\$\d/);
  });
});
