import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: signed checkpoints of the audit chain (issue 11). Every few minutes, even when no
 * event came, an audit service signs "the chain had N events ending in link L at time T" with the
 * cluster's Ed25519 checkpoint key. Someone who removes the newest events and rolls the chain head
 * back cannot sign a checkpoint for the shorter chain; removing the checkpoints too leaves the
 * newest one older than the interval, which verification reports. Sizes written out: a migration
 * must not change when shared constants do.
 */
export class CreateAuditCheckpoints1764200000204 implements MigrationInterface {
  name = 'CreateAuditCheckpoints1764200000204';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'audit_checkpoints',
        columns: [
          c.id(),
          c.bigint('sequence_number'),
          c.varchar('chain_hash', 64),
          c.timestamp('signed_at'),
          c.varchar('node_name', 128),
          // base64 of a 64-byte Ed25519 signature
          c.varchar('signature', 100),
        ],
      }),
    );
    await queryRunner.createIndex(
      'audit_checkpoints',
      new TableIndex({ name: 'ix_audit_checkpoints_signed_at', columnNames: ['signed_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_checkpoints', false, true, false);
  }
}
