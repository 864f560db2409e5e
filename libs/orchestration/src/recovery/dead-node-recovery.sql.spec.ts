import { deadNodeRecoverySql, PROGRESS_GRACE_MS } from './dead-node-recovery.sql';

describe(deadNodeRecoverySql.name, () => {
  const postgres = deadNodeRecoverySql('postgres');
  const mssql = deadNodeRecoverySql('mssql');

  /** The orphaned condition for a task table reference, with the cutoff held in `param`. */
  const orphanedPg = (task: string, param: string) => {
    const cutoff = `(CURRENT_TIMESTAMP + (${param}::integer * INTERVAL '1 millisecond'))`;
    return (
      `(NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = ${task}.node_name AND n.last_seen >= ${cutoff}) ` +
      `OR (${task}.last_progress_at >= ${task}.started_at AND ${task}.last_progress_at < ${cutoff} ` +
      `AND EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = ${task}.node_name ` +
      `AND n.last_seen >= (${task}.last_progress_at + INTERVAL '2000 milliseconds'))))`
    );
  };
  const orphanedMs = (task: string, param: string) => {
    const cutoff = `DATEADD(millisecond, ${param}, SYSUTCDATETIME())`;
    return (
      `(NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = ${task}.node_name AND n.last_seen >= ${cutoff}) ` +
      `OR (${task}.last_progress_at >= ${task}.started_at AND ${task}.last_progress_at < ${cutoff} ` +
      `AND EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = ${task}.node_name ` +
      `AND n.last_seen >= DATEADD(millisecond, 2000, ${task}.last_progress_at))))`
    );
  };

  it('allows the node a grace of two progress intervals before blaming its executor', () => {
    expect(PROGRESS_GRACE_MS).toBe(2000);
  });

  it('finds owned tasks whose node is dead (or gone) or whose executor stopped reporting, on the database clock', () => {
    expect(postgres.orphaned).toContain(
      `WHERE t.state IN ('Executing', 'Cancelling') AND ${orphanedPg('t', '$1')} ORDER BY t.started_at ASC, t.id ASC LIMIT $2`,
    );
    expect(mssql.orphaned).toMatch(/^SELECT TOP \(@1\) /);
    expect(mssql.orphaned).toContain(
      `WHERE t.state IN ('Executing', 'Cancelling') AND ${orphanedMs('t', '@0')} ORDER BY t.started_at ASC, t.id ASC`,
    );
  });

  it('says which cause holds, preferring the dead node, and reads the progress clock, recovery count and release steps', () => {
    for (const sql of [postgres.orphaned, mssql.orphaned])
      expect(sql).toMatch(
        /^SELECT (TOP \(@1\) )?t\.id, t\.state, t\.claim, t\.node_name, t\.next_step, t\.last_progress_at, t\.recovery_count, CASE WHEN NOT EXISTS \(.+?\) THEN 1 ELSE 0 END AS node_dead, nl\.last_seen AS node_last_seen, r\.retryable, r\.steps FROM server_tasks t /,
      );
    expect(mssql.orphaned).toContain(
      'CASE WHEN NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = t.node_name AND n.last_seen >= DATEADD(millisecond, @0, SYSUTCDATETIME())) THEN 1 ELSE 0 END AS node_dead',
    );
  });

  it('re-queues only with the same claim, from Executing, while still orphaned, counting the recovery and keeping next_step', () => {
    const set =
      "UPDATE server_tasks SET state = 'Queued', node_name = NULL, last_progress_at = NULL, recovery_count = recovery_count + 1";
    expect(postgres.requeue).toBe(
      `${set} WHERE id = $1 AND claim = $2 AND state = 'Executing' AND ${orphanedPg('server_tasks', '$3')} RETURNING state`,
    );
    expect(mssql.requeue).toBe(
      `${set} OUTPUT inserted.state WHERE id = @0 AND claim = @1 AND state = 'Executing' AND ${orphanedMs('server_tasks', '@2')}`,
    );
    for (const sql of [postgres.requeue, mssql.requeue]) expect(sql).not.toContain('next_step');
  });

  it('finishes (as given, or as Canceled when being canceled) only with the same claim while still orphaned, on database time', () => {
    const set = (state: string, message: string, canceledMessage: string) =>
      `UPDATE server_tasks SET state = CASE WHEN state = 'Cancelling' THEN 'Canceled' ELSE ${state} END, ` +
      `error_message = CASE WHEN state = 'Cancelling' THEN ${canceledMessage} ELSE ${message} END, `;
    expect(postgres.finish).toBe(
      `${set('$1', '$2', '$3')}completed_at = CURRENT_TIMESTAMP WHERE id = $4 AND claim = $5 ` +
        `AND state IN ('Executing', 'Cancelling') AND ${orphanedPg('server_tasks', '$6')} RETURNING state`,
    );
    expect(mssql.finish).toBe(
      `${set('@0', '@1', '@2')}completed_at = SYSUTCDATETIME() OUTPUT inserted.state WHERE id = @3 AND claim = @4 ` +
        `AND state IN ('Executing', 'Cancelling') AND ${orphanedMs('server_tasks', '@5')}`,
    );
    for (const sql of [postgres.finish, mssql.finish]) expect(sql).not.toContain('recovery_count');
  });

  it('numbers parameters the way each driver expects', () => {
    for (const sql of Object.values(postgres)) expect(sql).not.toMatch(/@\d/);
    for (const sql of Object.values(mssql)) expect(sql).not.toMatch(/\$\d/);
  });
});
