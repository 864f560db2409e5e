import { dialectSql, runMigrations } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import {
  harnessWithQueuedTask,
  insertTaskLikeAnOlderNode,
  serverTaskColumns,
  undoMigrationsFrom,
} from './server-task-columns.test-support';
import { AddTaskLogIntegrity1764200000303 } from './1764200000303-add-task-log-integrity';
import { alice } from '../testing/orchestration-fixtures';

const COLUMNS = ['log_lines_lost', 'log_problem'];

describe(AddTaskLogIntegrity1764200000303.name, () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
  });
  afterAll(() => db.dispose());

  const logColumns = (taskId: string) =>
    db.dataSource.query<{ log_lines_lost: number; log_problem: string | null }[]>(
      `SELECT log_lines_lost, log_problem FROM server_tasks WHERE id = ${dialectSql(db.dialect).param(1)}`,
      [taskId],
    );

  it('adds the columns to existing tasks as "log complete", keeps writes that leave them out working, and reverts', async () => {
    const { sut, taskId } = await harnessWithQueuedTask(db.dataSource, 'Migrated log');
    expect(await serverTaskColumns(db.dataSource, COLUMNS)).toEqual(COLUMNS);

    const undone = await undoMigrationsFrom(db.dataSource, AddTaskLogIntegrity1764200000303);
    expect(await serverTaskColumns(db.dataSource, COLUMNS)).toEqual([]);

    await expect(runMigrations(db.dataSource)).resolves.toEqual({ applied: undone });
    await expect(logColumns(taskId)).resolves.toEqual([{ log_lines_lost: 0, log_problem: null }]);
    // Nodes that predate the columns insert and complete tasks without naming them.
    const oldStyle = await insertTaskLikeAnOlderNode(db.dataSource, taskId);
    await db.dataSource.query(
      `UPDATE server_tasks SET state = 'Success', error_message = NULL, completed_at = ${dialectSql(db.dialect).now} ` +
        `WHERE id = ${dialectSql(db.dialect).param(1)}`,
      [oldStyle],
    );
    await expect(logColumns(oldStyle)).resolves.toEqual([{ log_lines_lost: 0, log_problem: null }]);
    await expect(sut.tasks.get(alice, oldStyle)).resolves.toMatchObject({
      state: 'Success',
      logLinesLost: 0,
      logProblem: '',
      hasWarningsOrErrors: false,
    });
  });
});
