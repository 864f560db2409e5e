import { MigrationInterface, QueryRunner, Table } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/** Expand only: cluster-wide settings changed through the API (the trusted proxies first). */
export class CreateClusterSettings1764200000228 implements MigrationInterface {
  name = 'CreateClusterSettings1764200000228';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'cluster_settings',
        columns: [
          { ...c.varchar('name', 100), isPrimary: true },
          c.text('value'),
          c.timestamp('updated_at', { defaultNow: true }),
          c.varchar('updated_by', 200),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('cluster_settings', false, true, false);
  }
}
