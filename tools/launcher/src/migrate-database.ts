import type { DatabaseConfig } from '@flotilla/platform/config';
import { createDataSource, runMigrations } from '@flotilla/platform/persistence';

import { ALL_MIGRATIONS } from './all-migrations';

/** Applies every pending migration of every service; returns the names applied. */
export async function migrateDatabase(database: DatabaseConfig): Promise<string[]> {
  const dataSource = createDataSource(database, {
    applicationName: 'flotilla-migrate',
    entities: [],
    migrations: ALL_MIGRATIONS,
    poolSize: 2,
  });
  const outcome = await runMigrations(dataSource);
  return outcome.applied;
}
