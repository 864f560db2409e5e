import { randomBytes } from 'node:crypto';

import { Client } from 'pg';
import { DataSource } from 'typeorm';

import { createDataSource, EntityList, MigrationList, runMigrations } from '@flotilla/platform/persistence';

/** Base URL of the test PostgreSQL server, exported by the jest global setup. */
export function testPostgresBaseUrl(): string {
  const url = process.env['FLOTILLA_TEST_PG_BASE_URL'];
  if (!url)
    throw new Error(
      'FLOTILLA_TEST_PG_BASE_URL is not set: run tests through jest (global setup starts PostgreSQL)',
    );
  return url;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function adminQuery(baseUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: `${baseUrl}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database of its own for one test file, on the test PostgreSQL server or on the
 * server at `baseUrl` (e.g. a restartable one of the fault suite).
 */
export async function createTestDatabase(baseUrl = testPostgresBaseUrl()): Promise<TestDatabase> {
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(baseUrl, `CREATE DATABASE ${name}`);
  return {
    url: `${baseUrl}/${name}`,
    drop: () => adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export interface MigratedTestDatabase extends TestDatabase {
  dataSource: DataSource;
  /** Closes the DataSource and drops the database. */
  dispose(): Promise<void>;
}

/** A fresh database with the given migrations applied and an initialised DataSource over it. */
export async function createMigratedTestDatabase(parts: {
  entities: EntityList;
  migrations: MigrationList;
}): Promise<MigratedTestDatabase> {
  const database = await createTestDatabase();
  const config = { dialect: 'postgres' as const, url: database.url };
  await runMigrations(createDataSource(config, { ...parts, applicationName: 'flotilla-test-migrate' }));
  const dataSource = await createDataSource(config, {
    ...parts,
    applicationName: 'flotilla-test',
  }).initialize();
  return {
    ...database,
    dataSource,
    dispose: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
