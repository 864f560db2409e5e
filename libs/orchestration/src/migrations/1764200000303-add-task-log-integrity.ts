import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

import { dialectOf, dropDefaultedColumns, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: a finished task says whether its log is complete (lines the executor could not
 * write to shared storage, and why). Safe for nodes that predate it: completions that leave the
 * columns out get 0 and NULL, which read as "complete".
 */
export class AddTaskLogIntegrity1764200000303 implements MigrationInterface {
  name = 'AddTaskLogIntegrity1764200000303';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.addColumns('server_tasks', [
      new TableColumn(c.int('log_lines_lost', 0)),
      // For people: "shared storage full (ENOSPC)"; NULL when the log is complete.
      new TableColumn(c.varchar('log_problem', 1000, true)),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropDefaultedColumns(queryRunner, 'server_tasks', ['log_problem', 'log_lines_lost']);
  }
}
