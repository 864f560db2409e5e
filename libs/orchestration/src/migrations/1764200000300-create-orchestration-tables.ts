import { MigrationInterface, QueryRunner, Table } from 'typeorm';

import { createAuditOutboxTable, dropAuditOutboxTable } from '@flotilla/audit/outbox';
import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

import { ORCHESTRATOR_AUDIT_SOURCE } from '../shared/orchestrator-service';

/** Projects, environments, processes, variables, releases, deployments, the task queue and the node registry. */
export class CreateOrchestrationTables1764200000300 implements MigrationInterface {
  name = 'CreateOrchestrationTables1764200000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    // Deletes are checked by the services first (clear FAILED_PRECONDITION); the keys guard against races.
    const fk = (
      name: string,
      column: string,
      table: string,
      onDelete: 'CASCADE' | 'NO ACTION' = 'NO ACTION',
    ) => ({
      name,
      columnNames: [column],
      referencedTableName: table,
      referencedColumnNames: ['id'],
      onDelete,
    });

    await queryRunner.createTable(
      new Table({
        name: 'projects',
        columns: [
          c.id(),
          c.varchar('name', 200),
          c.varchar('slug', 200),
          c.text('description'),
          c.timestamp('created_at', { defaultNow: true }),
          c.timestamp('updated_at', { defaultNow: true }),
        ],
        indices: [
          { name: 'ux_projects_name', columnNames: ['name'], isUnique: true },
          { name: 'ux_projects_slug', columnNames: ['slug'], isUnique: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'environments',
        columns: [
          c.id(),
          c.varchar('name', 200),
          c.varchar('slug', 200),
          c.text('description'),
          c.int('sort_order'),
          c.timestamp('created_at', { defaultNow: true }),
        ],
        indices: [
          { name: 'ux_environments_name', columnNames: ['name'], isUnique: true },
          { name: 'ux_environments_slug', columnNames: ['slug'], isUnique: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'deployment_processes',
        columns: [
          { ...c.ref('project_id'), isPrimary: true },
          c.int('version'),
          c.text('steps'),
          c.boolean('retryable', false),
          c.timestamp('updated_at', { defaultNow: true }),
        ],
        foreignKeys: [fk('fk_deployment_processes_projects', 'project_id', 'projects', 'CASCADE')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'variable_sets',
        columns: [
          { ...c.ref('project_id'), isPrimary: true },
          c.int('version'),
          c.text('variables'),
          c.timestamp('updated_at', { defaultNow: true }),
        ],
        foreignKeys: [fk('fk_variable_sets_projects', 'project_id', 'projects', 'CASCADE')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'releases',
        columns: [
          c.id(),
          c.ref('project_id'),
          c.varchar('version', 100),
          c.text('notes'),
          c.text('packages'),
          c.text('steps'),
          c.text('variables'),
          c.int('process_version'),
          c.boolean('retryable', false),
          c.timestamp('created_at', { defaultNow: true }),
        ],
        indices: [
          { name: 'ux_releases_project_version', columnNames: ['project_id', 'version'], isUnique: true },
        ],
        foreignKeys: [fk('fk_releases_projects', 'project_id', 'projects')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'deployments',
        columns: [
          c.id(),
          c.ref('project_id'),
          c.ref('release_id'),
          c.ref('environment_id'),
          c.ref('task_id'),
          c.timestamp('created_at', { defaultNow: true }),
          c.varchar('created_by', 200),
        ],
        indices: [
          { name: 'ix_deployments_project', columnNames: ['project_id', 'created_at'] },
          { name: 'ix_deployments_environment', columnNames: ['environment_id', 'created_at'] },
          { name: 'ix_deployments_release', columnNames: ['release_id'] },
        ],
        foreignKeys: [
          fk('fk_deployments_releases', 'release_id', 'releases'),
          fk('fk_deployments_environments', 'environment_id', 'environments'),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'server_tasks',
        columns: [
          c.id(),
          c.varchar('name', 50),
          c.text('description'),
          c.varchar('state', 20),
          c.ref('deployment_id'),
          c.ref('project_id'),
          c.ref('environment_id'),
          c.varchar('concurrency_key', 100),
          c.varchar('node_name', 200, true),
          c.int('claim'),
          c.int('next_step'),
          c.timestamp('queued_at', { defaultNow: true }),
          c.timestamp('started_at', { nullable: true }),
          c.timestamp('completed_at', { nullable: true }),
          c.text('error_message', true),
          c.timestamp('cancel_requested_at', { nullable: true }),
        ],
        indices: [
          // The claim scan: oldest queued first.
          { name: 'ix_server_tasks_state_queued', columnNames: ['state', 'queued_at'] },
          { name: 'ix_server_tasks_queued', columnNames: ['queued_at'] },
          { name: 'ix_server_tasks_node', columnNames: ['node_name', 'state'] },
          { name: 'ix_server_tasks_deployment', columnNames: ['deployment_id'] },
        ],
        foreignKeys: [fk('fk_server_tasks_deployments', 'deployment_id', 'deployments')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'task_concurrency_locks',
        columns: [
          { ...c.varchar('concurrency_key', 100), isPrimary: true },
          c.ref('task_id'),
          c.int('claim'),
          c.timestamp('acquired_at', { defaultNow: true }),
        ],
        indices: [{ name: 'ix_task_concurrency_locks_task', columnNames: ['task_id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'cluster_nodes',
        columns: [
          { ...c.varchar('name', 200), isPrimary: true },
          c.text('services'),
          c.varchar('version', 50),
          c.timestamp('started_at', { defaultNow: true }),
          c.timestamp('last_seen', { defaultNow: true }),
          c.int('task_cap', 5),
          c.boolean('is_draining', false),
        ],
      }),
    );
    await createAuditOutboxTable(queryRunner, ORCHESTRATOR_AUDIT_SOURCE);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropAuditOutboxTable(queryRunner, ORCHESTRATOR_AUDIT_SOURCE);
    for (const table of [
      'cluster_nodes',
      'task_concurrency_locks',
      'server_tasks',
      'deployments',
      'releases',
      'variable_sets',
      'deployment_processes',
      'environments',
      'projects',
    ]) {
      // DROP TABLE takes its indexes along; dropping them first by name fails on Babelfish.
      await queryRunner.dropTable(table, false, true, false);
    }
  }
}
