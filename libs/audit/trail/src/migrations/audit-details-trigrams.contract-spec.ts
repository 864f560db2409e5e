import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';
import { dialectOf } from '@flotilla/platform/persistence';

import { AuditTrailEntities, AuditTrailMigrations } from '../index';

/** Creating and migrating a database takes up to a minute on Babelfish on a busy machine. */
const MIGRATION_RUN_MS = 120_000;

/**
 * The trigram index behind the text filter: made on PostgreSQL (pg_trgm ships with its contrib,
 * and the test server has it), skipped on SQL Server without failing the migration.
 */
describe('IndexAuditDetailsTrigrams1764200000251', () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
  }, MIGRATION_RUN_MS);

  afterAll(() => db?.dispose());

  it('ran, and on PostgreSQL left a GIN trigram index on the details', async () => {
    const ran = await db.dataSource.query<{ name: string }[]>(
      "SELECT name FROM flotilla_migrations WHERE name = 'IndexAuditDetailsTrigrams1764200000251'",
    );
    expect(ran).toHaveLength(1);
    if (dialectOf(db.dataSource) !== 'postgres') return;
    const indexes = await db.dataSource.query<{ indexdef: string }[]>(
      "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_audit_events_details_trgm'",
    );
    expect(indexes.map((index) => index.indexdef)).toEqual([
      expect.stringMatching(/USING gin \(details (public\.)?gin_trgm_ops\)/),
    ]);
  });
});
