import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

import { createAuditOutboxTable, dropAuditOutboxTable } from '@flotilla/audit/outbox';
import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

export class CreatePackages1764200000400 implements MigrationInterface {
  name = 'CreatePackages1764200000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'packages',
        columns: [
          c.id(),
          c.varchar('package_id', 100),
          c.varchar('version', 50),
          c.varchar('format', 10),
          c.varchar('file_name', 200),
          c.bigint('size_bytes'),
          c.varchar('sha256', 64),
          c.timestamp('published_at', { defaultNow: true }),
          c.varchar('published_by', 200),
        ],
        indices: [
          new TableIndex({
            name: 'ux_packages_id_version',
            columnNames: ['package_id', 'version'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_packages_published_at', columnNames: ['published_at'] }),
        ],
      }),
    );
    await createAuditOutboxTable(queryRunner, 'artifacts');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropAuditOutboxTable(queryRunner, 'artifacts');
    // DROP TABLE takes its indexes along; dropping them first by name fails on Babelfish.
    await queryRunner.dropTable('packages', false, true, false);
  }
}
