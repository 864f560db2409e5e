import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: retention and signed archives of the audit trail (issue 11).
 *
 * - `audit_settings`: one row, the cluster-wide retention in days (default 90).
 * - `audit_archive_lease`: one row, the archiving lease (holder, fencing token, expiry on database
 *   time), so one audit service of the cluster archives at a time.
 * - `audit_archives`: one row per archived UTC day: the file, count, chain range, SHA-256 and the
 *   signed manifest, recorded before any of its events is removed.
 * - `ix_audit_events_recorded_at`: archiving picks days and chain ranges by recorded_at.
 * - The append-only guard is narrowed: UPDATE and TRUNCATE stay refused; DELETE is allowed only for
 *   an event whose sequence number lies within a recorded archive's range (and for events stored
 *   before the chain began, older than a recorded archive's end). Any other DELETE fails with the
 *   guard's message ("audit_events is append-only: …") and removes nothing.
 *
 * SQL is written out: a migration must not change when shared constants do.
 */
export class CreateAuditArchives1764200000210 implements MigrationInterface {
  name = 'CreateAuditArchives1764200000210';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dialect = dialectOf(queryRunner.connection);
    const c = portableColumns(dialect);
    await queryRunner.createTable(
      new Table({
        name: 'audit_settings',
        columns: [
          { name: 'id', type: 'int', isPrimary: true },
          { name: 'retention_days', type: 'int' },
          c.timestamp('changed_at', { defaultNow: true }),
          c.varchar('changed_by', 200),
        ],
      }),
    );
    await queryRunner.query("INSERT INTO audit_settings (id, retention_days, changed_by) VALUES (1, 90, '')");
    await queryRunner.createTable(
      new Table({
        name: 'audit_archive_lease',
        columns: [
          { name: 'id', type: 'int', isPrimary: true },
          c.varchar('holder', 200),
          c.bigint('token'),
          c.timestamp('expires_at', { defaultNow: true }),
        ],
      }),
    );
    await queryRunner.query("INSERT INTO audit_archive_lease (id, holder, token) VALUES (1, '', 0)");
    await queryRunner.createTable(
      new Table({
        name: 'audit_archives',
        columns: [
          // Not `day` nor `file`: T-SQL keywords.
          { ...c.varchar('archive_day', 10), isPrimary: true },
          c.varchar('file_name', 64),
          c.bigint('event_count'),
          c.bigint('first_sequence', true),
          c.bigint('last_sequence', true),
          // The chain's number at the archive's end (last_sequence, or the previous one's when it
          // holds no chained event): where verification of the database's chain starts.
          c.bigint('through_sequence'),
          c.varchar('previous_chain_hash', 64),
          c.varchar('last_chain_hash', 64),
          // Events recorded before this instant (exclusive) and not archived before are in it.
          c.timestamp('recorded_before'),
          c.varchar('sha256', 64),
          c.text('manifest'),
          c.timestamp('created_at'),
          c.timestamp('purged_at', { nullable: true }),
          c.timestamp('file_deleted_at', { nullable: true }),
          c.varchar('file_deleted_by', 200, true),
        ],
      }),
    );
    await queryRunner.createIndices('audit_archives', [
      new TableIndex({ name: 'ix_audit_archives_range', columnNames: ['first_sequence', 'last_sequence'] }),
    ]);
    await queryRunner.createIndex(
      'audit_events',
      new TableIndex({ name: 'ix_audit_events_recorded_at', columnNames: ['recorded_at'] }),
    );
    if (dialect === 'postgres') await narrowPostgresGuard(queryRunner);
    else await narrowMssqlGuard(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const dialect = dialectOf(queryRunner.connection);
    if (dialect === 'postgres') {
      await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events');
      await queryRunner.query('DROP FUNCTION IF EXISTS audit_events_refuse_truncate()');
      await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events');
      await queryRunner.query('DROP FUNCTION IF EXISTS audit_events_refuse_unarchived_change()');
      await queryRunner.query(
        `CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
         FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`,
      );
      await queryRunner.query('DROP INDEX ix_audit_events_recorded_at');
    } else {
      await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_append_only');
      await queryRunner.query(
        `CREATE TRIGGER audit_events_append_only ON audit_events INSTEAD OF UPDATE, DELETE AS
BEGIN
  THROW 51000, 'audit_events is append-only: UPDATE or DELETE refused (stored audit events cannot be changed or removed)', 1;
END`,
      );
      await queryRunner.query('DROP INDEX ix_audit_events_recorded_at ON audit_events');
    }
    await queryRunner.dropTable('audit_archives', false, true, false);
    await queryRunner.dropTable('audit_archive_lease');
    await queryRunner.dropTable('audit_settings');
  }
}

/**
 * PostgreSQL: `audit_events_append_only` becomes a row trigger (BEFORE UPDATE OR DELETE) that
 * refuses every UPDATE and decides each DELETE; TRUNCATE (which fires no row trigger) is refused by
 * a statement trigger of its own that stands down while `audit_events_append_only` is disabled, so
 * an owner switching the one guard off (DDL, as the tests' emptyAuditTrailAsOwner does) lifts all
 * of it, as before.
 */
async function narrowPostgresGuard(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query('DROP TRIGGER audit_events_append_only ON audit_events');
  await queryRunner.query(
    `CREATE FUNCTION audit_events_refuse_unarchived_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.sequence_number IS NOT NULL AND EXISTS (
         SELECT 1 FROM audit_archives a
         WHERE OLD.sequence_number BETWEEN a.first_sequence AND a.last_sequence) THEN
      RETURN OLD;
    END IF;
    IF OLD.sequence_number IS NULL
       AND OLD.recorded_at <= (SELECT h.began_at FROM audit_chain_head h WHERE h.id = 1)
       AND EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.recorded_at < a.recorded_before) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: DELETE refused (event % is in no recorded archive)', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused (stored audit events cannot be changed)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$`,
  );
  await queryRunner.query(
    `CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
     FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_unarchived_change()`,
  );
  await queryRunner.query(
    `CREATE FUNCTION audit_events_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_trigger
             WHERE tgrelid = TG_RELID AND tgname = 'audit_events_append_only' AND tgenabled <> 'D') THEN
    RAISE EXCEPTION 'audit_events is append-only: TRUNCATE refused (stored audit events cannot be removed)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END
$$`,
  );
  await queryRunner.query(
    `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_truncate()`,
  );
}

/**
 * SQL Server / Babelfish: `audit_events_append_only` stays the one INSTEAD OF UPDATE, DELETE
 * trigger. An UPDATE (rows in `inserted`) is refused; a DELETE THROWs, removing nothing, when any
 * of its rows is in no recorded archive, and otherwise deletes them itself (an INSTEAD OF
 * trigger's own DELETE on its table does not fire it again).
 */
async function narrowMssqlGuard(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query('DROP TRIGGER audit_events_append_only');
  await queryRunner.query(
    `CREATE TRIGGER audit_events_append_only ON audit_events INSTEAD OF UPDATE, DELETE AS
BEGIN
  IF NOT EXISTS (SELECT 1 FROM deleted) RETURN;
  IF EXISTS (SELECT 1 FROM inserted)
    THROW 51000, 'audit_events is append-only: UPDATE refused (stored audit events cannot be changed)', 1;
  IF EXISTS (
    SELECT 1 FROM deleted d
    WHERE NOT (
      (d.sequence_number IS NOT NULL AND EXISTS (
         SELECT 1 FROM audit_archives a
         WHERE d.sequence_number BETWEEN a.first_sequence AND a.last_sequence))
      OR (d.sequence_number IS NULL
          AND d.recorded_at <= (SELECT h.began_at FROM audit_chain_head h WHERE h.id = 1)
          AND EXISTS (SELECT 1 FROM audit_archives a WHERE d.recorded_at < a.recorded_before))))
    THROW 51000, 'audit_events is append-only: DELETE refused (an event is in no recorded archive)', 1;
  DELETE FROM audit_events WHERE id IN (SELECT id FROM deleted);
END`,
  );
}
