import { randomUUID } from 'node:crypto';

import type { DataSource } from 'typeorm';

import { dialectOf, dialectSql } from '@flotilla/platform/persistence';

import { OrchestrationMigrations } from '../orchestration.migrations';
import { alice, environmentNamed, projectWithRelease } from '../testing/orchestration-fixtures';
import { createOrchestrationHarness, OrchestrationHarness } from '../testing/orchestration-harness';

/**
 * Steps shared by the contract specs of migrations that add columns to server_tasks: each checks
 * that its columns come and go, that existing rows get the defaults, and that a node of the
 * previous release (which names none of them) still inserts tasks. The SQL runs on every dialect
 * of the contract suite (parameters through `dialectSql`, no casts).
 */

/** Which of these server_tasks columns exist now, sorted by name. */
export async function serverTaskColumns(dataSource: DataSource, names: readonly string[]): Promise<string[]> {
  const sql = dialectSql(dialectOf(dataSource));
  // Aliased: SQL Server's catalogue names the column COLUMN_NAME.
  const rows = await dataSource.query<{ column_name: string }[]>(
    "SELECT column_name AS column_name FROM information_schema.columns WHERE table_name = 'server_tasks' " +
      `AND column_name IN (${names.map((_, index) => sql.param(index + 1)).join(', ')}) ORDER BY column_name`,
    [...names],
  );
  return rows.map((row) => row.column_name);
}

/** A harness over the database and one queued deployment task in it. */
export async function harnessWithQueuedTask(
  dataSource: DataSource,
  label: string,
): Promise<{ sut: OrchestrationHarness; taskId: string }> {
  const sut = createOrchestrationHarness(dataSource);
  const { release } = await projectWithRelease(sut, label);
  const environment = await environmentNamed(sut, label);
  const { taskId } = await sut.deployments.create(alice, {
    releaseId: release.id,
    environmentId: environment.id,
  });
  return { sut, taskId };
}

/** Undoes `migration` and every later one, newest first; returns their names, oldest first. */
export async function undoMigrationsFrom(
  dataSource: DataSource,
  migration: { name: string },
): Promise<string[]> {
  const names = OrchestrationMigrations.map((candidate) => candidate.name);
  const fromThisOne = names.slice(names.indexOf(migration.name));
  for (let undone = 0; undone < fromThisOne.length; undone += 1)
    await dataSource.undoLastMigration({ transaction: 'each' });
  return fromThisOne;
}

/** Inserts a copy of a task naming only the columns the first release had, as an old node would. */
export async function insertTaskLikeAnOlderNode(dataSource: DataSource, copyOf: string): Promise<string> {
  const sql = dialectSql(dialectOf(dataSource));
  const id = randomUUID();
  await dataSource.query(
    'INSERT INTO server_tasks (id, name, description, state, deployment_id, project_id, environment_id, ' +
      `concurrency_key, claim, next_step) SELECT ${sql.param(1)}, name, description, state, deployment_id, ` +
      `project_id, environment_id, concurrency_key, claim, next_step FROM server_tasks WHERE id = ${sql.param(2)}`,
    [id, copyOf],
  );
  return id;
}
