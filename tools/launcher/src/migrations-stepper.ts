import { DataSource, Migration, MigrationExecutor } from 'typeorm';

import type { DatabaseConfig } from '@flotilla/platform/config';
import { createDataSource, MigrationList } from '@flotilla/platform/persistence';

/** TypeORM's executor over the first `count` migrations of the list (in its timestamp order). */
class PrefixExecutor extends MigrationExecutor {
  constructor(
    dataSource: DataSource,
    private readonly count: number,
  ) {
    super(dataSource);
    this.transaction = 'each';
  }

  protected override getMigrations(): Migration[] {
    return super.getMigrations().slice(0, this.count);
  }
}

/**
 * Takes one database through a migration list a prefix at a time, as the databases of earlier
 * releases were, over ONE pooled connection: a fresh connection per step costs seconds on
 * Babelfish (a new backend reads the catalogue cold), and the walk has a step per migration. Each
 * step still gets its own QueryRunner, so no step sees another's cached table shapes.
 */
export class MigrationStepper {
  private constructor(private readonly dataSource: DataSource) {}

  static async open(database: DatabaseConfig, migrations: MigrationList): Promise<MigrationStepper> {
    const dataSource = await createDataSource(database, {
      applicationName: 'flotilla-migrations-spec',
      entities: [],
      migrations,
      poolSize: 1,
    }).initialize();
    return new MigrationStepper(dataSource);
  }

  /** Applies whatever of the first `count` migrations is pending; returns their names. */
  async migrateTo(count: number): Promise<string[]> {
    const applied = await new PrefixExecutor(this.dataSource, count).executePendingMigrations();
    return applied.map((migration) => migration.name);
  }

  /** Reverts the newest applied migration (its `down`). */
  async undoLast(): Promise<void> {
    const executor = new MigrationExecutor(this.dataSource);
    executor.transaction = 'each';
    await executor.undoLastMigration();
  }

  async close(): Promise<void> {
    await this.dataSource.destroy();
  }
}
