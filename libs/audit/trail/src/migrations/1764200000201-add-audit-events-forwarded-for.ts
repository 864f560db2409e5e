import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

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
    if (dialectOf(queryRunner.connection) === 'mssql') {
      // SQL Server will not drop a column its default constraint depends on, so that goes first,
      // found by what it is rather than by the name TypeORM gave it (Babelfish ignores that name;
      // its defaults are not objects at all, and OBJECT_ID finds none to drop).
      const defaults = (await queryRunner.query(
        `SELECT d.name FROM sys.default_constraints d
         JOIN sys.columns c ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id
         WHERE d.parent_object_id = OBJECT_ID(N'audit_events') AND c.name = N'forwarded_for'
           AND OBJECT_ID(QUOTENAME(d.name)) IS NOT NULL`,
      )) as { name: string }[];
      for (const { name } of defaults)
        await queryRunner.query(`ALTER TABLE audit_events DROP CONSTRAINT [${name.replace(/]/g, ']]')}]`);
      await queryRunner.query('ALTER TABLE audit_events DROP COLUMN forwarded_for');
      return;
    }
    await queryRunner.dropColumn('audit_events', 'forwarded_for');
  }
}
