import { MigrationInterface, QueryRunner, Table } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: the directory sync (libs/auth/src/directory-sync). `directory_sync_lease`: one row
 * per cluster-wide job, held by one node until `expires_at` (database time), so a sync runs once
 * per cluster per interval; the last run's status rides on it, so every node can report it. `directory_sync_deactivations`: users the sync (not an administrator)
 * deactivated, the only ones it may re-activate when the directory enables them again.
 */
export class CreateDirectorySync1764200000140 implements MigrationInterface {
  name = 'CreateDirectorySync1764200000140';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'directory_sync_lease',
        columns: [
          { ...c.varchar('lease_name', 100), isPrimary: true },
          c.varchar('holder', 200),
          c.timestamp('expires_at'),
          // The last run's outcome as JSON (DirectorySyncStatus), readable from any node.
          c.text('status', true),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'directory_sync_deactivations',
        columns: [
          { ...c.ref('user_id'), isPrimary: true },
          c.varchar('reason', 40),
          c.timestamp('deactivated_at', { defaultNow: true }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('directory_sync_deactivations', false, true, false);
    await queryRunner.dropTable('directory_sync_lease', false, true, false);
  }
}
