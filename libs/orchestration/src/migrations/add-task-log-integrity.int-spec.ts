import { randomUUID } from 'node:crypto';

import { runMigrations } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import { alice, environmentNamed, projectWithRelease } from '../testing/orchestration-fixtures';
import { createOrchestrationHarness } from '../testing/orchestration-harness';
import { AddTaskLogIntegrity1764200000303 } from './1764200000303-add-task-log-integrity';

describe(AddTaskLogIntegrity1764200000303.name, () => {
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
          "AND column_name IN ('log_lines_lost', 'log_problem') ORDER BY column_name",
      )
    ).map((row) => row.column_name);

  const logColumns = (taskId: string) =>
    db.dataSource.query<{ log_lines_lost: number; log_problem: string | null }[]>(
      'SELECT log_lines_lost, log_problem FROM server_tasks WHERE id = $1',
      [taskId],
    );

  it('adds the columns to existing tasks as "log complete", keeps writes that leave them out working, and reverts', async () => {
    const sut = createOrchestrationHarness(db.dataSource);
    const { release } = await projectWithRelease(sut, 'Migrated log');
    const environment = await environmentNamed(sut, 'Migrated log');
    const { taskId } = await sut.deployments.create(alice, {
      releaseId: release.id,
      environmentId: environment.id,
    });
    expect(await columns()).toEqual(['log_lines_lost', 'log_problem']);

    // Undo this migration and every later one, newest first.
    const fromThisOne = OrchestrationMigrations.slice(
      OrchestrationMigrations.indexOf(AddTaskLogIntegrity1764200000303),
    ).map((migration) => migration.name);
    for (let undone = 0; undone < fromThisOne.length; undone += 1)
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await columns()).toEqual([]);

    await expect(runMigrations(db.dataSource)).resolves.toEqual({ applied: fromThisOne });
    await expect(logColumns(taskId)).resolves.toEqual([{ log_lines_lost: 0, log_problem: null }]);
    // Nodes that predate the columns insert and complete tasks without naming them.
    const oldStyle = randomUUID();
    await db.dataSource.query(
      'INSERT INTO server_tasks (id, name, description, state, deployment_id, project_id, environment_id, ' +
        'concurrency_key, claim, next_step) SELECT $1, name, description, state, deployment_id, project_id, ' +
        'environment_id, concurrency_key, claim, next_step FROM server_tasks WHERE id = $2',
      [oldStyle, taskId],
    );
    await db.dataSource.query(
      "UPDATE server_tasks SET state = 'Success', error_message = NULL, completed_at = CURRENT_TIMESTAMP WHERE id = $1",
      [oldStyle],
    );
    await expect(logColumns(oldStyle)).resolves.toEqual([{ log_lines_lost: 0, log_problem: null }]);
    await expect(sut.tasks.get(oldStyle)).resolves.toMatchObject({
      state: 'Success',
      logLinesLost: 0,
      logProblem: '',
      hasWarningsOrErrors: false,
    });
  });
});
