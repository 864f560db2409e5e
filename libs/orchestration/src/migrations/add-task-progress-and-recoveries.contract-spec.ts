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
import { AddTaskProgressAndRecoveries1764200000301 } from './1764200000301-add-task-progress-and-recoveries';

const COLUMNS = ['last_progress_at', 'recovery_count'];

describe(AddTaskProgressAndRecoveries1764200000301.name, () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
  });
  afterAll(() => db.dispose());

  const progressColumns = (taskId: string) =>
    db.dataSource.query<{ last_progress_at: Date | null; recovery_count: number }[]>(
      `SELECT last_progress_at, recovery_count FROM server_tasks WHERE id = ${dialectSql(db.dialect).param(1)}`,
      [taskId],
    );

  it('adds the columns to existing tasks (no progress clock, no recoveries), keeps inserts that leave them out working, and reverts', async () => {
    const { taskId } = await harnessWithQueuedTask(db.dataSource, 'Migrated');
    expect(await serverTaskColumns(db.dataSource, COLUMNS)).toEqual(COLUMNS);

    const undone = await undoMigrationsFrom(db.dataSource, AddTaskProgressAndRecoveries1764200000301);
    expect(await serverTaskColumns(db.dataSource, COLUMNS)).toEqual([]);

    await expect(runMigrations(db.dataSource)).resolves.toEqual({ applied: undone });
    await expect(progressColumns(taskId)).resolves.toEqual([{ last_progress_at: null, recovery_count: 0 }]);
    // A node that predates the columns inserts tasks without naming them.
    const oldStyle = await insertTaskLikeAnOlderNode(db.dataSource, taskId);
    await expect(progressColumns(oldStyle)).resolves.toEqual([{ last_progress_at: null, recovery_count: 0 }]);
  });
});
