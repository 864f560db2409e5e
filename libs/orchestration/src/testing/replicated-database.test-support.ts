import { DataSource } from 'typeorm';

import { createDataSource } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';

/** A fresh migrated database, plus a second orchestrator replica: its own connection pool over it. */
export interface ReplicatedDatabase extends MigratedTestDatabase {
  secondReplica: DataSource;
}

/**
 * For the beforeAll that creates it: migrating a fresh database takes a few seconds on PostgreSQL,
 * but TypeORM's schema reads are slow on Babelfish and took over the default 30 s on a loaded
 * two-core machine. (A longer hook timeout for the whole SQL Server run would do this for every spec.)
 */
export const DATABASE_SETUP_TIMEOUT_MS = 120_000;

export async function createReplicatedOrchestrationDatabase(): Promise<ReplicatedDatabase> {
  const db = await createMigratedTestDatabase({
    entities: OrchestrationEntities,
    migrations: OrchestrationMigrations,
  });
  const secondReplica = await createDataSource(
    { dialect: db.dialect, url: db.url },
    { entities: OrchestrationEntities, applicationName: 'replica-2' },
  ).initialize();
  return {
    ...db,
    secondReplica,
    dispose: async () => {
      await secondReplica.destroy();
      await db.dispose();
    },
  };
}
