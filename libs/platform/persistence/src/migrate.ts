import type { DataSource } from 'typeorm';

export interface MigrationOutcome {
  applied: string[];
}

/** Applies pending migrations inside one transaction each and reports what ran. */
export async function runMigrations(dataSource: DataSource): Promise<MigrationOutcome> {
  const initialisedHere = !dataSource.isInitialized;
  if (initialisedHere) await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { applied: applied.map((migration) => migration.name) };
  } finally {
    if (initialisedHere) await dataSource.destroy();
  }
}
