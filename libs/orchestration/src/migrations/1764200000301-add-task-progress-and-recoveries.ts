import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

import { dialectOf, dropDefaultedColumns, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: lets recovery notice a hung executor on a live node and stop re-queuing a task
 * that keeps killing its nodes. Both columns are safe for nodes that predate them: NULL
 * `last_progress_at` means "judge by node liveness alone", and inserts that leave
 * `recovery_count` out get its default.
 */
export class AddTaskProgressAndRecoveries1764200000301 implements MigrationInterface {
  name = 'AddTaskProgressAndRecoveries1764200000301';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.addColumns('server_tasks', [
      // Database time of the claim and of every accepted progress report; NULL while queued.
      new TableColumn(c.timestamp('last_progress_at', { nullable: true })),
      // Times dead-node recovery re-queued the task.
      new TableColumn(c.int('recovery_count', 0)),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropDefaultedColumns(queryRunner, 'server_tasks', ['recovery_count', 'last_progress_at']);
  }
}
