import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: the trail becomes a chain (issue 11). Each event stored from now on gets a sequence
 * number (1, 2, 3, … with no gap) and a keyed link (HMAC-SHA256 of the previous link and the event,
 * hex). `audit_chain_head` holds the last number and link, and its row is the lock that keeps two
 * audit services from giving out the same number. Events stored before this migration keep NULL in
 * both: verification counts them as recorded before the chain began (`began_at`). Names and sizes
 * are written out: a migration must not change when shared constants do.
 */
export class ChainAuditEvents1764200000203 implements MigrationInterface {
  name = 'ChainAuditEvents1764200000203';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dialect = dialectOf(queryRunner.connection);
    const c = portableColumns(dialect);
    await queryRunner.addColumns('audit_events', [
      new TableColumn(c.bigint('sequence_number', true)),
      new TableColumn(c.varchar('chain_hash', 64, true)),
    ]);
    // Unique where set: two events with one number would be a fork of the chain. The filter leaves
    // the events from before the chain (NULL) out, which SQL Server's unique index would not.
    await queryRunner.query(
      'CREATE UNIQUE INDEX ux_audit_events_sequence ON audit_events (sequence_number) WHERE sequence_number IS NOT NULL',
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_chain_head',
        columns: [
          { name: 'id', type: 'int', isPrimary: true },
          c.bigint('sequence_number'),
          c.varchar('chain_hash', 64),
          c.timestamp('began_at', { defaultNow: true }),
        ],
      }),
    );
    await queryRunner.query(
      `INSERT INTO audit_chain_head (id, sequence_number, chain_hash) VALUES (1, 0, '${'0'.repeat(64)}')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_chain_head');
    await queryRunner.query(
      dialectOf(queryRunner.connection) === 'postgres'
        ? 'DROP INDEX ux_audit_events_sequence'
        : 'DROP INDEX ux_audit_events_sequence ON audit_events',
    );
    await queryRunner.dropColumns('audit_events', ['sequence_number', 'chain_hash']);
  }
}
