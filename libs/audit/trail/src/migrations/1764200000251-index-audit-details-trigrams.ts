import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';

import { dialectOf } from '@flotilla/platform/persistence';

const INDEX = 'ix_audit_events_details_trgm';

/**
 * Expand only: a trigram index on the events' details, so the reviewers' "text in the details"
 * filter (`details LIKE '%text%'`) stops reading every row of a large trail (issue 11: 474 ms p99
 * on a million events without it). PostgreSQL only, and only where pg_trgm can be had: it ships
 * with PostgreSQL's contrib and has been a trusted extension since PostgreSQL 13, so the
 * database's owner may create it without being a superuser. Where it cannot (no contrib, or the
 * migrating role may not create extensions) the index is skipped with a warning and the filter
 * still works, only slower; SQL Server's equivalent, a full-text index, Babelfish lacks.
 *
 * The check comes before the CREATE EXTENSION: a refused statement would abort the migration's
 * transaction, and with it the start-up.
 */
export class IndexAuditDetailsTrigrams1764200000251 implements MigrationInterface {
  name = 'IndexAuditDetailsTrigrams1764200000251';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (dialectOf(queryRunner.connection) !== 'postgres') return;
    const [state] = (await queryRunner.query(
      `SELECT
         EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS installed,
         EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') AS available,
         (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
         EXISTS (SELECT 1 FROM pg_available_extension_versions WHERE name = 'pg_trgm' AND trusted) AS trusted,
         has_database_privilege(current_database(), 'CREATE') AS may_create`,
    )) as {
      installed: boolean;
      available: boolean;
      superuser: boolean;
      trusted: boolean;
      may_create: boolean;
    }[];
    if (!state) return;
    const mayInstall = state.available && (state.superuser || (state.trusted && state.may_create));
    if (!state.installed && !mayInstall) {
      new Logger('Migrations').warn(
        "pg_trgm is not available to this role: the audit trail's text filter reads every row. " +
          'Install PostgreSQL contrib (or let the owner CREATE EXTENSION pg_trgm) and run ' +
          `CREATE INDEX ${INDEX} ON audit_events USING gin (details gin_trgm_ops) to speed it up.`,
      );
      return;
    }
    if (!state.installed) await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS ${INDEX} ON audit_events USING gin (details gin_trgm_ops)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (dialectOf(queryRunner.connection) !== 'postgres') return;
    // The extension stays: something else may use it by now.
    await queryRunner.query(`DROP INDEX IF EXISTS ${INDEX}`);
  }
}
