import { DataSource, Migration, MigrationExecutor, QueryRunner } from 'typeorm';

import type { DatabaseConfig } from '@flotilla/platform/config';
import { createDataSource, MigrationList } from '@flotilla/platform/persistence';

/** TypeORM's executor over the first `count` migrations of the list (in its timestamp order). */
class PrefixExecutor extends MigrationExecutor {
  constructor(
    dataSource: DataSource,
    queryRunner: QueryRunner,
    private readonly count: number,
  ) {
    super(dataSource, queryRunner);
    this.transaction = 'each';
  }

  protected override getMigrations(): Migration[] {
    return super.getMigrations().slice(0, this.count);
  }
}

/**
 * Takes one database through a migration list a prefix at a time, as the databases of earlier
 * releases were, over ONE connection: a fresh connection per step costs seconds on Babelfish (a
 * new backend reads the catalogue cold), and the walk has a step per migration.
 */
export class MigrationStepper {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly queryRunner: QueryRunner,
  ) {}

  static async open(database: DatabaseConfig, migrations: MigrationList): Promise<MigrationStepper> {
    const dataSource = await createDataSource(database, {
      applicationName: 'flotilla-migrations-spec',
      entities: [],
      migrations,
      poolSize: 1,
    }).initialize();
    return new MigrationStepper(dataSource, dataSource.createQueryRunner());
  }

  /** Applies whatever of the first `count` migrations is pending; returns their names. */
  async migrateTo(count: number): Promise<string[]> {
    const applied = await new PrefixExecutor(
      this.dataSource,
      this.queryRunner,
      count,
    ).executePendingMigrations();
    return applied.map((migration) => migration.name);
  }

  /** Reverts the newest applied migration (its `down`). */
  async undoLast(): Promise<void> {
    const executor = new MigrationExecutor(this.dataSource, this.queryRunner);
    executor.transaction = 'each';
    await executor.undoLastMigration();
  }

  async close(): Promise<void> {
    await this.queryRunner.release();
    await this.dataSource.destroy();
  }
}
