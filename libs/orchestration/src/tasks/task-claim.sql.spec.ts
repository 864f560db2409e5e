import { taskQueueSql } from './task-claim.sql';

describe(taskQueueSql.name, () => {
  const postgres = taskQueueSql('postgres');
  const mssql = taskQueueSql('mssql');

  it('claims with one conditional update that raises the fencing token, respects the task cap and starts the progress clock, on both dialects', () => {
    expect(postgres.claim).toBe(
      "UPDATE server_tasks SET state = 'Executing', node_name = $1, claim = claim + 1, " +
        'started_at = CURRENT_TIMESTAMP, last_progress_at = CURRENT_TIMESTAMP ' +
        "WHERE id = $2 AND state = 'Queued' AND (SELECT COUNT(*) FROM server_tasks o WHERE o.node_name = $1 " +
        "AND o.state IN ('Executing', 'Cancelling')) < $3 RETURNING claim",
    );
    expect(mssql.claim).toBe(
      "UPDATE server_tasks SET state = 'Executing', node_name = @0, claim = claim + 1, " +
        'started_at = SYSUTCDATETIME(), last_progress_at = SYSUTCDATETIME() ' +
        "OUTPUT inserted.claim WHERE id = @1 AND state = 'Queued' AND (SELECT COUNT(*) FROM server_tasks o " +
        "WHERE o.node_name = @0 AND o.state IN ('Executing', 'Cancelling')) < @2",
    );
  });

  it('hands a task back only with the current claim, keeping the claim number as the fence and clearing the progress clock', () => {
    expect(postgres.release).toBe(
      "UPDATE server_tasks SET state = 'Queued', node_name = NULL, next_step = $1, last_progress_at = NULL " +
        "WHERE id = $2 AND claim = $3 AND state = 'Executing' RETURNING state",
    );
    expect(mssql.release).toBe(
      "UPDATE server_tasks SET state = 'Queued', node_name = NULL, next_step = @0, last_progress_at = NULL " +
        "OUTPUT inserted.state WHERE id = @1 AND claim = @2 AND state = 'Executing'",
    );
    expect(postgres.cancelOwned).toContain(
      "WHERE id = $3 AND claim = $4 AND state = 'Cancelling' RETURNING state",
    );
    expect(mssql.cancelOwned).toContain(
      "OUTPUT inserted.state WHERE id = @2 AND claim = @3 AND state = 'Cancelling'",
    );
  });

  it('scans queued tasks oldest first, skipping held concurrency keys', () => {
    const skipHeld =
      'NOT EXISTS (SELECT 1 FROM task_concurrency_locks l WHERE l.concurrency_key = t.concurrency_key)';
    expect(postgres.candidates).toBe(
      `SELECT t.id FROM server_tasks t WHERE t.state = 'Queued' AND ${skipHeld} ORDER BY t.queued_at ASC, t.id ASC LIMIT $1`,
    );
    expect(mssql.candidates).toBe(
      `SELECT TOP (@0) t.id FROM server_tasks t WHERE t.state = 'Queued' AND ${skipHeld} ORDER BY t.queued_at ASC, t.id ASC`,
    );
  });

  it('takes the concurrency key with an insert that adds nothing when the key is held', () => {
    expect(postgres.lock).toBe(
      'INSERT INTO task_concurrency_locks (concurrency_key, task_id, claim, acquired_at) VALUES ($1, $2, $3, CURRENT_TIMESTAMP) ' +
        'ON CONFLICT (concurrency_key) DO NOTHING',
    );
    expect(mssql.lock).toBe(
      'INSERT INTO task_concurrency_locks (concurrency_key, task_id, claim, acquired_at) SELECT @0, @1, @2, SYSUTCDATETIME() ' +
        'WHERE NOT EXISTS (SELECT 1 FROM task_concurrency_locks WITH (UPDLOCK, HOLDLOCK) WHERE concurrency_key = @0)',
    );
  });

  it('fences progress and completion by claim and owned state, with database time; completion records lost log lines', () => {
    expect(postgres.progress).toBe(
      "UPDATE server_tasks SET next_step = CASE WHEN next_step > $1 THEN next_step ELSE $1 END, last_progress_at = CURRENT_TIMESTAMP WHERE id = $2 AND claim = $3 AND state IN ('Executing', 'Cancelling') RETURNING state",
    );
    expect(mssql.progress).toBe(
      "UPDATE server_tasks SET next_step = CASE WHEN next_step > @0 THEN next_step ELSE @0 END, last_progress_at = SYSUTCDATETIME() OUTPUT inserted.state WHERE id = @1 AND claim = @2 AND state IN ('Executing', 'Cancelling')",
    );
    expect(postgres.complete).toBe(
      'UPDATE server_tasks SET state = $1, error_message = $2, next_step = CASE WHEN next_step > $3 THEN next_step ELSE $3 END, log_lines_lost = $6, ' +
        'log_problem = $7, completed_at = CURRENT_TIMESTAMP ' +
        "WHERE id = $4 AND claim = $5 AND state IN ('Executing', 'Cancelling') RETURNING state",
    );
    expect(mssql.complete).toBe(
      'UPDATE server_tasks SET state = @0, error_message = @1, next_step = CASE WHEN next_step > @2 THEN next_step ELSE @2 END, log_lines_lost = @5, ' +
        'log_problem = @6, completed_at = SYSUTCDATETIME() ' +
        "OUTPUT inserted.state WHERE id = @3 AND claim = @4 AND state IN ('Executing', 'Cancelling')",
    );
    expect(postgres.unlock).toBe('DELETE FROM task_concurrency_locks WHERE task_id = $1 AND claim = $2');
    expect(mssql.unlock).toBe('DELETE FROM task_concurrency_locks WHERE task_id = @0 AND claim = @1');
  });

  it('numbers parameters the way each driver expects', () => {
    for (const sql of Object.values(postgres)) expect(sql).not.toMatch(/@\d/);
    for (const sql of Object.values(mssql)) expect(sql).not.toMatch(/\$\d/);
  });
});
