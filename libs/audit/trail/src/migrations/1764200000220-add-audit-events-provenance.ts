import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

import { dialectOf, dropDefaultedColumns, portableColumns } from '@flotilla/platform/persistence';

/** Name and size, written out: a migration must not change when shared constants do. */
const PROVENANCE_COLUMNS: readonly [string, number][] = [
  ['sign_in_method', 20],
  ['api_key_id', 64],
  ['socket_peer', 64],
  ['node_name', 100],
  ['request_id', 128],
  ['outcome', 20],
  ['project_id', 200],
  ['environment_id', 200],
];

/**
 * The reviewer's filters on them: each an equality, then the page order, so a page is a seek
 * and a short scan of one index whatever the trail's size (EXPLAIN figures in the README).
 */
const INDEXES: readonly [string, string[]][] = [
  ['ix_audit_events_request_id', ['request_id']],
  ['ix_audit_events_outcome', ['outcome', 'occurred_at', 'id']],
  ['ix_audit_events_project_id', ['project_id', 'occurred_at', 'id']],
  ['ix_audit_events_environment_id', ['environment_id', 'occurred_at', 'id']],
];

/**
 * Expand only: how the actor signed in, the API key id, the socket peer, the node, the request id,
 * the outcome, the project and environment of each event, and which fields its chain link covers
 * (link_version: 1 for every event stored before, 2 for events the audit service links from now
 * on, their link covering the new columns and the version too). NOT NULL with defaults, so an audit
 * service of the previous release inserts during a rolling upgrade (its rows: version 1, ''), and
 * events stored before verify as they were linked.
 *
 * Adding a column with a constant default rewrites no row on either dialect, so the append-only
 * trigger does not fire.
 */
export class AddAuditEventsProvenance1764200000220 implements MigrationInterface {
  name = 'AddAuditEventsProvenance1764200000220';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.addColumns('audit_events', [
      ...PROVENANCE_COLUMNS.map(
        ([name, length]) => new TableColumn({ ...c.varchar(name, length), default: "''" }),
      ),
      new TableColumn({ name: 'link_version', type: 'smallint', default: 1 }),
    ]);
    await queryRunner.createIndices(
      'audit_events',
      INDEXES.map(([name, columnNames]) => new TableIndex({ name, columnNames })),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const postgres = dialectOf(queryRunner.connection) === 'postgres';
    for (const [name] of INDEXES) {
      await queryRunner.query(postgres ? `DROP INDEX ${name}` : `DROP INDEX ${name} ON audit_events`);
    }
    await dropDefaultedColumns(queryRunner, 'audit_events', [
      ...PROVENANCE_COLUMNS.map(([name]) => name),
      'link_version',
    ]);
  }
}
