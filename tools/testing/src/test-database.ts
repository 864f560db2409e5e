import { randomBytes } from 'node:crypto';

import { Client } from 'pg';
import { DataSource } from 'typeorm';

import type { DatabaseConfig, SqlDialect } from '@flotilla/platform/config';
import { createDataSource, EntityList, MigrationList, runMigrations } from '@flotilla/platform/persistence';

import { findBabelfishTarball, startBabelfish } from './babelfish-server';

/** Base URL of the test PostgreSQL server, exported by the jest global setup. */
export function testPostgresBaseUrl(): string {
  const url = process.env['FLOTILLA_TEST_PG_BASE_URL'];
  if (!url)
    throw new Error(
      'FLOTILLA_TEST_PG_BASE_URL is not set: run tests through jest (global setup starts PostgreSQL)',
    );
  return url;
}

/** Base URL of the test SQL Server (or TDS server), exported by the jest global setup. */
export function testMssqlBaseUrl(): string {
  const url = process.env['FLOTILLA_TEST_MSSQL_BASE_URL'];
  if (!url)
    throw new Error(
      `no SQL Server for this test run: ${process.env['FLOTILLA_TEST_MSSQL_UNAVAILABLE'] ?? 'run tests through jest (global setup starts one)'}`,
    );
  return url;
}

/** Whether the run's SQL Server is a real one or Babelfish (set by the jest global setup). */
export function testMssqlKind(): 'sqlserver' | 'babelfish' {
  return process.env['FLOTILLA_TEST_MSSQL_KIND'] === 'babelfish' ? 'babelfish' : 'sqlserver';
}

/**
 * The database the data-layer contract suite (`*.contract-spec.ts`) runs on in this jest run:
 * FLOTILLA_TEST_DIALECT, PostgreSQL unless told otherwise. The same files run on every dialect.
 */
export function testDialect(): SqlDialect {
  return process.env['FLOTILLA_TEST_DIALECT'] === 'mssql' ? 'mssql' : 'postgres';
}

export interface TestDatabase extends DatabaseConfig {
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  dialect?: SqlDialect;
  /** Another server than the run's own (e.g. a restartable PostgreSQL of the fault suite). */
  baseUrl?: string;
  /**
   * For a whole product (nodes, clusters) on the mssql dialect: when the run's SQL Server is
   * Babelfish, a Babelfish server of the database's own, in single-db mode. Babelfish 4.3 has a
   * defect (babelfish_extensions#3058, fixed upstream in BABEL-5270): when a backend re-plans a
   * cached foreign-key check it maps the schema again, `<db>_dbo` becoming `<db>_<db>_dbo`, and
   * every insert checked by that key fails on that connection from then on ("relation … does not
   * exist"). Seen under the product's concurrent load first, then in the contract specs too: every
   * Babelfish test database now gets such a server (createTestDatabase), so on Babelfish this
   * option changes nothing. In single-db mode the schema is plain `dbo`, which maps to itself. A
   * real SQL Server has no such mapping.
   */
  productServer?: boolean;
}

async function postgresAdmin(baseUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: `${baseUrl}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `mssql://u:p@host:port?opts` with `/database` put in the path. */
export function mssqlDatabaseUrl(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One statement on `master`, through the same TypeORM mssql driver the product uses. */
async function mssqlAdmin(baseUrl: string, sql: string): Promise<void> {
  const admin = await createDataSource(
    { dialect: 'mssql', url: mssqlDatabaseUrl(baseUrl, 'master') },
    { entities: [], applicationName: 'flotilla-test-admin', poolSize: 1 },
  ).initialize();
  try {
    await admin.query(sql);
  } finally {
    await admin.destroy();
  }
}

/**
 * Babelfish fails a CREATE DATABASE that runs beside another one ("tuple concurrently updated",
 * its catalogue rows); jest's workers create theirs at the same moment, so try again shortly.
 */
async function createMssqlDatabase(baseUrl: string, name: string, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await mssqlAdmin(baseUrl, `CREATE DATABASE ${name}`);
      return;
    } catch (error) {
      if (attempt >= attempts || !/tuple concurrently updated/i.test(String(error))) throw error;
      await new Promise((wake) => setTimeout(wake, 200 * attempt));
    }
  }
}

/**
 * A fresh, empty database of its own for one test file, on the run's server for the dialect
 * (PostgreSQL unless told otherwise) or on the server at `options.baseUrl`.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const dialect = options.dialect ?? 'postgres';
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  // Every Babelfish test database gets a single-db server of its own (see productServer): the
  // contract specs hit babelfish_extensions#3058 too, a whole file failing at once in CI
  // ("relation … does not exist", or the service's "Internal server error" over it), never when
  // the file ran alone. Costs a server start (2-8 s) per test database.
  if (dialect === 'mssql' && !options.baseUrl && testMssqlKind() === 'babelfish')
    return createOnSingleDbBabelfish(name);
  if (dialect === 'mssql') {
    const baseUrl = options.baseUrl ?? testMssqlBaseUrl();
    await createMssqlDatabase(baseUrl, name);
    return {
      dialect,
      url: mssqlDatabaseUrl(baseUrl, name),
      // SQL Server refuses to drop a database someone is still connected to; ROLLBACK IMMEDIATE
      // ends those sessions. Babelfish is never dropped from: it is the run's own server, removed
      // with its data at the end of the run, and a DROP DATABASE there races other test files'
      // name look-ups in its catalogue ("could not open relation with OID n", "relation
      // <db>_dbo.projects does not exist" in a query right after migrating, both seen in CI runs).
      drop: async () => {
        if (testMssqlKind() === 'babelfish') return;
        await mssqlAdmin(baseUrl, `ALTER DATABASE ${name} SET SINGLE_USER WITH ROLLBACK IMMEDIATE`);
        await mssqlAdmin(baseUrl, `DROP DATABASE IF EXISTS ${name}`);
      },
    };
  }
  const baseUrl = options.baseUrl ?? testPostgresBaseUrl();
  await postgresAdmin(baseUrl, `CREATE DATABASE ${name}`);
  return {
    dialect,
    url: `${baseUrl}/${name}`,
    drop: () => postgresAdmin(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function createOnSingleDbBabelfish(name: string): Promise<TestDatabase> {
  const server = await startBabelfish(findBabelfishTarball(), 'single-db');
  if (!server) throw new Error('the run uses Babelfish, but its tarball is gone');
  try {
    await createMssqlDatabase(server.baseUrl, name);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { dialect: 'mssql', url: mssqlDatabaseUrl(server.baseUrl, name), drop: () => server.stop() };
}

export interface MigratedTestDatabase extends TestDatabase {
  dataSource: DataSource;
  /** Closes the DataSource and drops the database. */
  dispose(): Promise<void>;
}

/**
 * A fresh database with the given migrations applied and an initialised DataSource over it, on
 * the run's contract dialect (testDialect()) unless one is given.
 */
/**
 * Runs the migrations, again when Babelfish's catalogue views fail a schema look-up because
 * another test file dropped its database at that moment ("could not open relation with OID n",
 * seen once in a CI run under load). Each migration runs in its own transaction, so the failed one
 * rolled back and a new run carries on from it. PostgreSQL and SQL Server never retry.
 */
async function migrateTestDatabase(
  config: DatabaseConfig,
  parts: { entities: EntityList; migrations: MigrationList },
  attempts = 3,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runMigrations(createDataSource(config, { ...parts, applicationName: 'flotilla-test-migrate' }));
      return;
    } catch (error) {
      const catalogueRace = /could not open relation with OID/i.test(String(error));
      if (attempt >= attempts || !catalogueRace || testMssqlKind() !== 'babelfish') throw error;
      await new Promise((wake) => setTimeout(wake, 200 * attempt));
    }
  }
}

export async function createMigratedTestDatabase(
  parts: { entities: EntityList; migrations: MigrationList },
  dialect: SqlDialect = testDialect(),
): Promise<MigratedTestDatabase> {
  const database = await createTestDatabase({ dialect });
  const config: DatabaseConfig = { dialect, url: database.url };
  await migrateTestDatabase(config, parts);
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
