import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

import { auditOutboxTable } from './audit-outbox.entity';

/** Creates the outbox table of one service; call it from that service's own migration. */
export async function createAuditOutboxTable(queryRunner: QueryRunner, service: string): Promise<void> {
  const c = portableColumns(dialectOf(queryRunner.connection));
  const name = auditOutboxTable(service);
  await queryRunner.createTable(
    new Table({
      name,
      columns: [
        c.id(),
        c.timestamp('occurred_at', { defaultNow: true }),
        c.varchar('actor_id', 200),
        c.varchar('actor_name', 200),
        c.varchar('action', 100),
        c.varchar('resource_type', 100),
        c.varchar('resource_id', 200),
        c.text('details'),
        c.varchar('client_ip', 64),
        c.varchar('source', 50),
        c.int('attempts'),
      ],
    }),
  );
  await queryRunner.createIndex(
    name,
    new TableIndex({ name: `ix_${name}_occurred`, columnNames: ['occurred_at'] }),
  );
}

export async function dropAuditOutboxTable(queryRunner: QueryRunner, service: string): Promise<void> {
  await queryRunner.dropTable(auditOutboxTable(service));
}

/** Marker so the type is used by callers' migration classes. */
export type AuditOutboxMigration = MigrationInterface;
