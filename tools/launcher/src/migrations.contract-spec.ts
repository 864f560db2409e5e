import type { DataSource } from 'typeorm';

import { ArtifactsEntities } from '@flotilla/artifacts';
import { AuditTrailEntities } from '@flotilla/audit/trail';
import { AuthEntities } from '@flotilla/auth';
import { OrchestrationEntities } from '@flotilla/orchestration';
import type { DatabaseConfig } from '@flotilla/platform/config';
import { createDataSource } from '@flotilla/platform/persistence';
import { createTestDatabase, testDialect, TestDatabase } from '@flotilla/testing';

import { ALL_MIGRATIONS } from './all-migrations';
import { migrateDatabase } from './migrate-database';
import { SEED_ROWS } from './migrations-seed-rows';
import { MigrationStepper } from './migrations-stepper';

/**
 * The product's whole migration list on the run's database (PostgreSQL, or SQL Server in
 * `npm run test:mssql`): up from empty, up from every earlier schema with rows an older release
 * wrote, and back down where the server allows it.
 */

const ALL_ENTITIES = [...AuthEntities, ...AuditTrailEntities, ...OrchestrationEntities, ...ArtifactsEntities];

/** The list holds migration classes; TypeORM runs them by the timestamp ending their names. */
const CLASSES = Object.values(ALL_MIGRATIONS).filter(
  (migration): migration is Exclude<typeof migration, string> => typeof migration === 'function',
);
const timestampOf = (migration: { name: string }) => Number(/(\d{13})$/.exec(migration.name)?.[1]);
const IN_RUN_ORDER = [...CLASSES].sort((a, b) => timestampOf(a) - timestampOf(b));
const NAMES = IN_RUN_ORDER.map((migration) => migration.name);

/**
 * A whole migration run reads the catalogue table by table: 14-20 s on Babelfish on a busy 2-core
 * machine (PostgreSQL: 2-3 s). The jest default (30 s) would fail on load, not on a defect.
 */
const SLOW_SERVER_MS = 120_000;

function config(db: TestDatabase): DatabaseConfig {
  return { dialect: db.dialect, url: db.url };
}

/** Tables that exist now, lower-cased (SQL Server's catalogue answers in upper case). */
async function tablesOf(dataSource: DataSource): Promise<Set<string>> {
  const rows = await dataSource.query<{ table_name: string }[]>(
    'SELECT table_name AS table_name FROM information_schema.tables',
  );
  return new Set(rows.map((row) => row.table_name.toLowerCase()));
}

/** "table.column" for every column the current entities map, and for every column the schema has. */
async function entityColumnsMissing(dataSource: DataSource): Promise<string[]> {
  const rows = await dataSource.query<{ table_name: string; column_name: string }[]>(
    'SELECT table_name AS table_name, column_name AS column_name FROM information_schema.columns',
  );
  const present = new Set(rows.map((row) => `${row.table_name}.${row.column_name}`.toLowerCase()));
  return dataSource.entityMetadatas
    .flatMap((entity) => entity.columns.map((column) => `${entity.tableName}.${column.databaseName}`))
    .filter((column) => !present.has(column.toLowerCase()));
}

describe(`the product's migrations on ${testDialect()}`, () => {
  const databases: TestDatabase[] = [];
  const dataSources: DataSource[] = [];

  async function freshDatabase(): Promise<TestDatabase> {
    const db = await createTestDatabase({ dialect: testDialect() });
    databases.push(db);
    return db;
  }
  async function open(db: TestDatabase, entities = ALL_ENTITIES): Promise<DataSource> {
    const dataSource = await createDataSource(config(db), {
      applicationName: 'flotilla-migrations-spec',
      entities,
      poolSize: 2,
    }).initialize();
    dataSources.push(dataSource);
    return dataSource;
  }

  afterAll(async () => {
    for (const dataSource of dataSources) if (dataSource.isInitialized) await dataSource.destroy();
    for (const db of databases) await db.drop();
  });

  it(
    'migrates an empty database to a schema with every table and column the entities map, once',
    async () => {
      const db = await freshDatabase();

      expect(NAMES).toHaveLength(Object.values(ALL_MIGRATIONS).length);
      await expect(migrateDatabase(config(db))).resolves.toEqual(NAMES);
      const dataSource = await open(db);
      await expect(entityColumnsMissing(dataSource)).resolves.toEqual([]);
      expect(dataSource.entityMetadatas.length).toBeGreaterThanOrEqual(ALL_ENTITIES.length);
      await expect(migrateDatabase(config(db))).resolves.toEqual([]);
    },
    SLOW_SERVER_MS,
  );

  /**
   * One database walks every earlier schema: at each prefix of the list it gets the rows a
   * release of that schema writes, then takes the next migration. Every row written at prefix k
   * is therefore migrated from k to the end with the rows of the earlier schemas beside it — the
   * upgrade each earlier release's database takes — at the cost of one migration run instead of
   * one per prefix (a full run takes tens of seconds on Babelfish).
   */
  describe('from every earlier schema', () => {
    let db: TestDatabase;
    let stepper: MigrationStepper;
    let writer: DataSource;
    const seededAt = new Map<string, string[]>();

    beforeAll(async () => {
      db = await freshDatabase();
      stepper = await MigrationStepper.open(config(db), IN_RUN_ORDER);
      writer = await open(db, []);
    });
    afterAll(() => stepper.close());

    it(
      'keeps the rows each earlier schema held, reading them through the current entities with the defaults of added columns',
      async () => {
        for (let prefix = 1; prefix <= NAMES.length; prefix += 1) {
          await expect(stepper.migrateTo(prefix)).resolves.toEqual([NAMES[prefix - 1]]);
          if (prefix === NAMES.length) break;
          const stage = `s${prefix}`;
          const tables = await tablesOf(writer);
          const seeds = SEED_ROWS.filter((seed) => tables.has(seed.table));
          for (const seed of seeds) await seed.insert(writer, stage);
          seededAt.set(
            stage,
            seeds.map((seed) => seed.table),
          );
        }
        // Every kind of row was written by at least one earlier schema (the list cannot shrink unnoticed).
        expect(new Set([...seededAt.values()].flat())).toEqual(new Set(SEED_ROWS.map((seed) => seed.table)));

        const reader = await open(db);
        await expect(entityColumnsMissing(reader)).resolves.toEqual([]);
        for (const [stage, tables] of seededAt)
          for (const seed of SEED_ROWS.filter((candidate) => tables.includes(candidate.table)))
            await seed.readBack(reader, stage);
      },
      SLOW_SERVER_MS,
    );

    it(
      'reverts every migration, newest first, to an empty schema, and migrates up again',
      async () => {
        const reader = await open(db);
        const entityTables = reader.entityMetadatas.map((entity) => entity.tableName.toLowerCase());
        for (let undone = 0; undone < NAMES.length; undone += 1) await stepper.undoLast();
        const left = await tablesOf(writer);
        expect(entityTables.filter((table) => left.has(table))).toEqual([]);

        await expect(migrateDatabase(config(db))).resolves.toEqual(NAMES);
        await expect(entityColumnsMissing(reader)).resolves.toEqual([]);
      },
      SLOW_SERVER_MS,
    );
  });
});
