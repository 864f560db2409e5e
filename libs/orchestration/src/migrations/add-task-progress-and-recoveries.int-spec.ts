import { randomUUID } from 'node:crypto';

import { runMigrations } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import { alice, environmentNamed, projectWithRelease } from '../testing/orchestration-fixtures';
import { createOrchestrationHarness } from '../testing/orchestration-harness';
import { AddTaskProgressAndRecoveries1764200000301 } from './1764200000301-add-task-progress-and-recoveries';

describe(AddTaskProgressAndRecoveries1764200000301.name, () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
  });
  afterAll(() => db.dispose());

  const columns = async () =>
    (
      await db.dataSource.query<{ column_name: string }[]>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'server_tasks' " +
          "AND column_name IN ('last_progress_at', 'recovery_count') ORDER BY column_name",
      )
    ).map((row) => row.column_name);

  const progressColumns = (taskId: string) =>
    db.dataSource.query<{ last_progress_at: Date | null; recovery_count: number }[]>(
      'SELECT last_progress_at, recovery_count FROM server_tasks WHERE id = $1',
      [taskId],
    );

  it('adds the columns to existing tasks (no progress clock, no recoveries), keeps inserts that leave them out working, and reverts', async () => {
    const sut = createOrchestrationHarness(db.dataSource);
    const { release } = await projectWithRelease(sut, 'Migrated');
    const environment = await environmentNamed(sut, 'Migrated');
    const { taskId } = await sut.deployments.create(alice, {
      releaseId: release.id,
      environmentId: environment.id,
    });
    expect(await columns()).toEqual(['last_progress_at', 'recovery_count']);

    // Undo this migration and every later one, newest first.
    const fromThisOne = OrchestrationMigrations.slice(
      OrchestrationMigrations.indexOf(AddTaskProgressAndRecoveries1764200000301),
    ).map((migration) => migration.name);
    for (let undone = 0; undone < fromThisOne.length; undone += 1)
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await columns()).toEqual([]);

    await expect(runMigrations(db.dataSource)).resolves.toEqual({ applied: fromThisOne });
    await expect(progressColumns(taskId)).resolves.toEqual([{ last_progress_at: null, recovery_count: 0 }]);
    // A node that predates the columns inserts tasks without naming them.
    const oldStyle = randomUUID();
    await db.dataSource.query(
      'INSERT INTO server_tasks (id, name, description, state, deployment_id, project_id, environment_id, ' +
        'concurrency_key, claim, next_step) SELECT $1, name, description, state, deployment_id, project_id, ' +
        'environment_id, concurrency_key, claim, next_step FROM server_tasks WHERE id = $2',
      [oldStyle, taskId],
    );
    await expect(progressColumns(oldStyle)).resolves.toEqual([{ last_progress_at: null, recovery_count: 0 }]);
  });
});
