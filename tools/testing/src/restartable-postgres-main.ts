import { rm } from 'node:fs/promises';

import { startEmbeddedPostgres } from './embedded-postgres';
import type { PostgresControlMessage, PostgresControlReply } from './restartable-postgres-protocol';

/**
 * A PostgreSQL of its own for fault tests, run by embedded-postgres in this child process (the
 * package ships only as an ES module, which jest's CommonJS test sandbox cannot import) and driven
 * over IPC by restartable-postgres.ts: stop (fast shutdown) and start again on the same port and
 * data folder, so a test restarts this server and nothing else. Removes its folder when the parent
 * goes away.
 */
async function main(): Promise<void> {
  const server = await startEmbeddedPostgres({
    // Kept across stop/start: a restart must find the cluster's database again.
    persistent: true,
    settings: [
      'listen_addresses=127.0.0.1',
      // TCP only: no socket file in /tmp to collide with another server's.
      'unix_socket_directories=',
      // Three nodes of several services, each with a pool of up to 10, plus the tests' own clients.
      'max_connections=300',
    ],
    onError: (message: unknown) => console.error('[postgres]', message),
  });
  const { port, baseUrl, databaseDir } = server;

  let running = true;
  const stopServer = async (): Promise<void> => {
    // SIGINT: PostgreSQL's fast shutdown, as `pg_ctl stop -m fast` or a service restart does.
    if (running) await server.stop();
    running = false;
  };
  const dispose = async (): Promise<void> => {
    await stopServer();
    await rm(databaseDir, { recursive: true, force: true });
  };
  // A test runner that dies must not leave a server behind.
  process.on('disconnect', () => void dispose().finally(() => process.exit(0)));

  const reply = (message: PostgresControlReply, then?: () => void): void =>
    void process.send?.(message, undefined, undefined, () => then?.());
  process.on('message', (message: PostgresControlMessage) => {
    const act = async (): Promise<void> => {
      if (message.command === 'stop') await stopServer();
      else if (message.command === 'dispose') await dispose();
      else if (!running) {
        // Resolves on "database system is ready to accept connections".
        await server.start();
        running = true;
      }
    };
    act().then(
      () =>
        reply({ type: 'done', id: message.id, at: Date.now() }, () => {
          if (message.command === 'dispose') process.exit(0);
        }),
      (error: unknown) => reply({ type: 'error', id: message.id, error: String(error) }),
    );
  });
  reply({ type: 'ready', port, baseUrl });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.send?.({ type: 'error', id: 0, error: String(error) } satisfies PostgresControlReply);
  process.exit(1);
});
