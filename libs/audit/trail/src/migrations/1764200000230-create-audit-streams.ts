import { MigrationInterface, QueryRunner, Table } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: destinations the audit trail is streamed to (issue 11), each with its delivery
 * state in the same row: the cursor (the last chain number the destination acknowledged, and
 * when), the lease (which node delivers it, until when on the database clock, and the fencing
 * token that node must show to move the cursor) and the last error, for the health endpoint.
 * Sizes written out: a migration must not change when shared constants do.
 */
export class CreateAuditStreams1764200000230 implements MigrationInterface {
  name = 'CreateAuditStreams1764200000230';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'audit_streams',
        columns: [
          c.id(),
          c.varchar('name', 100),
          // 'webhook' | 'syslog'
          c.varchar('kind', 16),
          c.boolean('enabled', true),
          // https://… for a webhook; host:port for syslog over TLS
          c.varchar('target', 2048),
          // the webhook's HMAC secret sealed (enc:v1:…), never in clear; NULL for syslog
          c.text('secret_sealed', true),
          // PEM of a private CA the destination's certificate chains to; NULL: the system's CAs
          c.text('ca_pem', true),
          // syslog facility name (local0 …); '' for a webhook
          c.varchar('facility', 16),
          c.timestamp('created_at', { defaultNow: true }),
          c.timestamp('updated_at', { defaultNow: true }),
          c.bigint('cursor_sequence'),
          c.timestamp('delivered_at', { nullable: true }),
          c.varchar('lease_holder', 200, true),
          c.timestamp('lease_expires_at', { nullable: true }),
          c.bigint('lease_token'),
          c.varchar('last_error', 1000, true),
          c.timestamp('last_error_at', { nullable: true }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_streams', false, true, false);
  }
}
