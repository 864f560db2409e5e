import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

import { dialectOf, dropDefaultedColumns, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: the trail keeps the raw X-Forwarded-For beside client_ip. NOT NULL with a ''
 * default, so events stored before it, and an older audit service still inserting during a
 * rolling upgrade, read as "no header".
 */
export class AddAuditEventsForwardedFor1764200000201 implements MigrationInterface {
  name = 'AddAuditEventsForwardedFor1764200000201';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    // 1100 written out: a migration must not change if the shared constant ever does.
    await queryRunner.addColumn(
      'audit_events',
      new TableColumn({ ...c.varchar('forwarded_for', 1100), default: "''" }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropDefaultedColumns(queryRunner, 'audit_events', ['forwarded_for']);
  }
}
