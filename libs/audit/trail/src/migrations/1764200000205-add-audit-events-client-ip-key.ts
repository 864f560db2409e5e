import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: the client address as a fixed-width key (32 hex digits of its IPv6 form, IPv4 as
 * IPv4-mapped), so the trail's client IP / CIDR filter is a range on one index on both dialects.
 * Filled (and linked into the chain) for events stored from now on; events stored before keep
 * NULL and are not found by that filter. Size written out: a migration must not change when
 * shared constants do.
 */
export class AddAuditEventsClientIpKey1764200000205 implements MigrationInterface {
  name = 'AddAuditEventsClientIpKey1764200000205';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.addColumn('audit_events', new TableColumn(c.varchar('client_ip_key', 32, true)));
    await queryRunner.createIndex(
      'audit_events',
      new TableIndex({
        name: 'ix_audit_events_client_ip_key',
        columnNames: ['client_ip_key', 'occurred_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      dialectOf(queryRunner.connection) === 'postgres'
        ? 'DROP INDEX ix_audit_events_client_ip_key'
        : 'DROP INDEX ix_audit_events_client_ip_key ON audit_events',
    );
    await queryRunner.dropColumn('audit_events', 'client_ip_key');
  }
}
