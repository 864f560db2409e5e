import { MigrationInterface, QueryRunner, Table } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: events the audit service refused (issue 11). A refused event stays parked in its
 * producer's outbox, where nobody looks; a copy here, with the reason, is what the health
 * endpoint reports, so a refusal is a visible bug rather than an attempt silently gone from the
 * trail. Keyed on the producer and the event id as sent, so a relay resending it counts, not
 * multiplies. Sizes written out: a migration must not change when shared constants do.
 */
export class CreateAuditRefusals1764200000250 implements MigrationInterface {
  name = 'CreateAuditRefusals1764200000250';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'audit_refusals',
        columns: [
          // SHA-256 (hex) of source and event id: the id as sent may be anything, even empty.
          { ...c.varchar('id', 64), isPrimary: true },
          c.varchar('event_id', 200),
          c.varchar('source', 64),
          c.varchar('action', 200),
          c.varchar('reason', 1000),
          // The event as received, JSON, so nothing of it is lost once the cause is fixed.
          c.text('event_json'),
          c.timestamp('first_refused_at'),
          c.timestamp('last_refused_at'),
          c.int('times', 1),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_refusals', false, true, false);
  }
}
