import { MigrationInterface, QueryRunner } from 'typeorm';

import { dialectOf } from '@flotilla/platform/persistence';

/** The trigger that refuses changes to stored audit events (one name on both dialects). */
export const AUDIT_EVENTS_GUARD_TRIGGER = 'audit_events_append_only';
/** PostgreSQL: the trigger function behind it. */
export const AUDIT_EVENTS_GUARD_FUNCTION = 'audit_events_refuse_change';
/** The start of the error both dialects raise, so callers and tests can recognise it. */
export const AUDIT_EVENTS_GUARD_MESSAGE = 'audit_events is append-only';

/**
 * Expand only: stored audit events can no longer be changed or removed through SQL by the role the
 * services use. The trail only ever inserts and reads, so nothing of this or the previous release
 * breaks. A trigger, not a REVOKE, because services and migrations share one role today, and an
 * owner's REVOKE on its own table is undone by the same owner's GRANT; a trigger at least turns an
 * UPDATE or DELETE from a compromised or buggy service into an error and needs DDL to remove. Names
 * and SQL are written out here: a migration must not change when shared constants do.
 *
 * - PostgreSQL: one statement-level BEFORE UPDATE OR DELETE OR TRUNCATE trigger that raises.
 * - SQL Server / Babelfish: an INSTEAD OF UPDATE, DELETE trigger that THROWs, so the statement
 *   changes nothing and fails. TRUNCATE TABLE fires no trigger there; it needs ALTER on the table,
 *   which a services role with INSERT and SELECT only (see the README) does not hold.
 */
export class MakeAuditEventsAppendOnly1764200000202 implements MigrationInterface {
  name = 'MakeAuditEventsAppendOnly1764200000202';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (dialectOf(queryRunner.connection) === 'postgres') {
      await queryRunner.query(
        `CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused (stored audit events cannot be changed or removed)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$`,
      );
      await queryRunner.query(
        `CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
         FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`,
      );
      return;
    }
    // CREATE TRIGGER must be the only statement of its batch on SQL Server.
    await queryRunner.query(
      `CREATE TRIGGER audit_events_append_only ON audit_events INSTEAD OF UPDATE, DELETE AS
BEGIN
  THROW 51000, 'audit_events is append-only: UPDATE or DELETE refused (stored audit events cannot be changed or removed)', 1;
END`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (dialectOf(queryRunner.connection) === 'postgres') {
      await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events');
      await queryRunner.query('DROP FUNCTION IF EXISTS audit_events_refuse_change()');
      return;
    }
    await queryRunner.query('DROP TRIGGER IF EXISTS audit_events_append_only');
  }
}
