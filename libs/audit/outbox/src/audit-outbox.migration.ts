import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

import { dialectOf, dropDefaultedColumns, portableColumns } from '@flotilla/platform/persistence';

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
  // DROP TABLE takes its index with it. Dropping it first by name, as TypeORM would, fails on
  // Babelfish, whose sys.indexes shows internal names that DROP INDEX does not know.
  await queryRunner.dropTable(auditOutboxTable(service), false, true, false);
}

/**
 * Expand only: the outbox keeps the raw X-Forwarded-For beside client_ip. NOT NULL with a ''
 * default, so an older producer still running during a rolling upgrade inserts without it. Call
 * it from one new migration of each service that owns an outbox.
 */
export async function addAuditOutboxForwardedFor(queryRunner: QueryRunner, service: string): Promise<void> {
  const c = portableColumns(dialectOf(queryRunner.connection));
  // 1100 written out (FORWARDED_FOR_COLUMN_LENGTH): a migration must not change with a constant.
  await queryRunner.addColumn(
    auditOutboxTable(service),
    new TableColumn({ ...c.varchar('forwarded_for', 1100), default: "''" }),
  );
}

export async function dropAuditOutboxForwardedFor(queryRunner: QueryRunner, service: string): Promise<void> {
  await dropDefaultedColumns(queryRunner, auditOutboxTable(service), ['forwarded_for']);
}

/**
 * Sizes as PROVENANCE_LIMITS had them when the columns were added, written out: a migration must
 * not change when a shared constant does.
 */
const PROVENANCE_COLUMNS_V1: readonly [string, number][] = [
  ['sign_in_method', 20],
  ['api_key_id', 64],
  ['socket_peer', 64],
  ['node_name', 100],
  ['request_id', 128],
  ['outcome', 20],
  ['project_id', 200],
  ['environment_id', 200],
];

/** The provenance column names, for a down migration or a test. */
export const AUDIT_PROVENANCE_COLUMNS = PROVENANCE_COLUMNS_V1.map(([name]) => name);

/**
 * Expand only: how the actor signed in, the API key id, the socket peer, the node, the request id,
 * the outcome and the project / environment of each event. NOT NULL with a '' default, so an older
 * producer still running during a rolling upgrade inserts without them.
 */
export async function addAuditOutboxProvenance(queryRunner: QueryRunner, table: string): Promise<void> {
  const c = portableColumns(dialectOf(queryRunner.connection));
  await queryRunner.addColumns(
    table,
    PROVENANCE_COLUMNS_V1.map(
      ([name, length]) => new TableColumn({ ...c.varchar(name, length), default: "''" }),
    ),
  );
}

/**
 * The migration adding the provenance columns to `service`'s outbox, numbered `timestamp` (from
 * the range of that service's migrations): list it with the service's other migrations.
 */
export function auditOutboxProvenanceMigration(
  service: string,
  timestamp: number,
): new () => MigrationInterface {
  const name = `AddAuditOutboxProvenance${timestamp}`;
  const migration = class implements MigrationInterface {
    name = name;
    up = (queryRunner: QueryRunner) => addAuditOutboxProvenance(queryRunner, auditOutboxTable(service));
    // dropDefaultedColumns: TypeORM's dropColumn names the default constraint Babelfish does not keep.
    down = (queryRunner: QueryRunner) =>
      dropDefaultedColumns(queryRunner, auditOutboxTable(service), AUDIT_PROVENANCE_COLUMNS);
  };
  // The class's own name too, not only its instances': a class expression's is '', and whoever
  // lists migrations by class (the migration specs, logs) would see a nameless one.
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}

/** Marker so the type is used by callers' migration classes. */
export type AuditOutboxMigration = MigrationInterface;
