import { createConnection } from 'node:net';

import { startEmbeddedPostgres } from './embedded-postgres';

/** A PostgreSQL server that tests create databases on: the machine's own, or an embedded one. */
export interface PostgresServer {
  /** postgres://user:password@host:port (no database). */
  baseUrl: string;
  stop(): Promise<void>;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Uses FLOTILLA_TEST_PG_URL, else the PostgreSQL on 127.0.0.1:5432 when it answers, else starts
 * an embedded PostgreSQL on a free loopback port in a temp folder.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const configured = process.env['FLOTILLA_TEST_PG_URL'];
  if (configured) return { baseUrl: configured.replace(/\/[^/]*$/, ''), stop: () => Promise.resolve() };
  if (await reachable('127.0.0.1', 5432)) {
    return { baseUrl: 'postgres://postgres@127.0.0.1:5432', stop: () => Promise.resolve() };
  }
  const server = await startEmbeddedPostgres({ persistent: false });
  return { baseUrl: server.baseUrl, stop: () => server.stop() };
}
