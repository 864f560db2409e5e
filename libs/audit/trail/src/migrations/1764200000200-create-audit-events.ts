import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

import { AUDIT_EVENT_LIMITS as L, AUDIT_EVENTS_TABLE as T } from '../event/audit-event.columns';

export class CreateAuditEvents1764200000200 implements MigrationInterface {
  name = 'CreateAuditEvents1764200000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dialect = dialectOf(queryRunner.connection);
    const c = portableColumns(dialect);
    await queryRunner.createTable(
      new Table({
        name: T,
        columns: [
          c.id(),
          c.timestamp('occurred_at'),
          c.timestamp('recorded_at', { defaultNow: true }),
          c.varchar('actor_id', L.actorId),
          c.varchar('actor_name', L.actorName),
          c.varchar('action', L.action),
          c.varchar('resource_type', L.resourceType),
          c.varchar('resource_id', L.resourceId),
          c.text('details'),
          c.varchar('client_ip', L.clientIp),
          c.varchar('source', L.source),
        ],
      }),
    );
    await queryRunner.createIndices(T, [
      // (occurred_at, id) serves both the time range and the page order `occurred_at DESC, id DESC`.
      new TableIndex({ name: 'ix_audit_events_occurred_at', columnNames: ['occurred_at', 'id'] }),
      new TableIndex({ name: 'ix_audit_events_actor_id', columnNames: ['actor_id'] }),
      new TableIndex({ name: 'ix_audit_events_resource', columnNames: ['resource_type', 'resource_id'] }),
    ]);
    if (dialect === 'postgres') {
      // The actor filter ignores case on the name, so PostgreSQL indexes LOWER(actor_name); and
      // `action LIKE 'project.%'` can use a btree only with pattern ops under a non-C collation.
      await queryRunner.query(`CREATE INDEX ix_audit_events_actor_name ON ${T} (LOWER(actor_name))`);
      await queryRunner.query(`CREATE INDEX ix_audit_events_action ON ${T} (action varchar_pattern_ops)`);
    } else {
      // SQL Server's default collation (…_CI_AS) compares without case, and LIKE 'prefix%' seeks a plain index.
      await queryRunner.createIndices(T, [
        new TableIndex({ name: 'ix_audit_events_actor_name', columnNames: ['actor_name'] }),
        new TableIndex({ name: 'ix_audit_events_action', columnNames: ['action'] }),
      ]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // DROP TABLE takes its indexes with it. Dropping them first by name, as TypeORM would, fails on
    // Babelfish, whose sys.indexes shows internal names that DROP INDEX does not know.
    await queryRunner.dropTable(T, false, true, false);
  }
}
