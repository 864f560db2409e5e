import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import type { SqlDialect } from '@flotilla/platform/config';
import { freePort } from '@flotilla/platform/net';
import { createTestDatabase, TestDatabase, testMssqlKind } from './test-database';

const repoRoot = resolve(__dirname, '..', '..', '..');

export interface FlotillaNodeOptions {
  /**
   * The database the node runs on (default postgres): a fresh database on the run's PostgreSQL,
   * or on its SQL Server (FLOTILLA_TEST_MSSQL_BASE_URL) for mssql.
   */
  dialect?: SqlDialect;
  /** Serve the built portal (builds it first when missing). Off by default: API tests skip it. */
  portal?: boolean;
  /** Extra environment for every service of the node. */
  env?: Record<string, string>;
  /** How long to wait for the node to answer its ping. */
  startTimeoutMs?: number;
}

export interface FlotillaNode {
  baseUrl: string;
  adminUsername: string;
  adminPassword: string;
  dialect: SqlDialect;
  databaseUrl: string;
  sharedStorage: string;
  deployRoot: string;
  /** Everything the node's processes printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** A database a product-level test (a node, a cluster) runs on in this jest run. */
export interface DialectUnderTest {
  dialect: SqlDialect;
  /** For test names: "PostgreSQL", "SQL Server (Babelfish)"... */
  label: string;
}

/**
 * The databases the product runs on that this jest run has: PostgreSQL, and SQL Server when the
 * global setup started or found one (FLOTILLA_TEST_MSSQL_BASE_URL). Without one the global setup
 * has already said "SQL Server tests SKIPPED: <why>" (and the runner says it again at the end;
 * CI's FLOTILLA_TEST_REQUIRE_MSSQL=1 makes it a failure), so no skipped test stands for it here.
 */
export function dialectsUnderTest(): DialectUnderTest[] {
  const postgres: DialectUnderTest = { dialect: 'postgres', label: 'PostgreSQL' };
  if (!process.env['FLOTILLA_TEST_MSSQL_BASE_URL']) return [postgres];
  const label = testMssqlKind() === 'babelfish' ? 'SQL Server (Babelfish)' : 'SQL Server';
  return [postgres, { dialect: 'mssql', label }];
}

/** `describe` once per database in dialectsUnderTest(). */
export function describeOnEachDialect(title: string, body: (target: DialectUnderTest) => void): void {
  for (const target of dialectsUnderTest()) describe(`${title} on ${target.label}`, () => body(target));
}

/**
 * Drops a node's or cluster's database once its processes are gone. Their sessions can outlive
 * them by a moment on the server (seen on Babelfish: "cannot drop database … currently in use"),
 * so that one refusal is retried for a few seconds.
 */
export async function dropTestDatabaseWhenReleased(database: TestDatabase): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await database.drop();
      return;
    } catch (error) {
      if (attempt >= 20 || !/in use/i.test(String(error))) throw error;
      await new Promise((resolveWait) => setTimeout(resolveWait, 500));
    }
  }
}

/** Cleans up after a start that failed, keeping the start's error as the one reported. */
export async function cleanUpFailedStart(stop: () => Promise<void>, what: string): Promise<void> {
  try {
    await stop();
  } catch (error) {
    process.stderr.write(`cleaning up the ${what} that failed to start also failed: ${String(error)}\n`);
  }
}

/**
 * Starts a real single Flotilla node — the same launcher as `npm start`, six service processes —
 * on free loopback ports, with its own fresh database, shared folder and deploy root.
 */
export async function startFlotillaNode(options: FlotillaNodeOptions = {}): Promise<FlotillaNode> {
  const database = await createTestDatabase({ dialect: options.dialect ?? 'postgres', productServer: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-node-'));
  const adminPassword = randomBytes(12).toString('base64url');
  const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const grpc = (index: number) => `127.0.0.1:${ports[index]}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FLOTILLA_NODE_NAME: `test-node-${ports[0]}`,
    FLOTILLA_DATA_DIR: dataDir,
    FLOTILLA_DB_DIALECT: database.dialect,
    FLOTILLA_DB_URL: database.url,
    FLOTILLA_ADMIN_USERNAME: 'admin',
    FLOTILLA_ADMIN_PASSWORD: adminPassword,
    FLOTILLA_HTTP_HOST: '127.0.0.1',
    FLOTILLA_HTTP_PORT: String(ports[0]),
    FLOTILLA_AUTH_GRPC_LISTEN: grpc(1),
    FLOTILLA_ORCHESTRATOR_GRPC_LISTEN: grpc(2),
    FLOTILLA_EXECUTOR_GRPC_LISTEN: grpc(3),
    FLOTILLA_ARTIFACTS_GRPC_LISTEN: grpc(4),
    FLOTILLA_AUDIT_GRPC_LISTEN: grpc(5),
    FLOTILLA_SKIP_PORTAL_BUILD: options.portal ? 'false' : 'true',
    FLOTILLA_POLL_INTERVAL_MS: '500',
    ...options.env,
  };
  const launcher: ChildProcess = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(repoRoot, 'tools/launcher/src/main.ts')],
    {
      cwd: repoRoot,
      env: { ...env, SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const ready = new Promise<string>((resolveReady, rejectReady) => {
    for (const stream of [launcher.stdout, launcher.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (line.startsWith('FLOTILLA_READY ')) resolveReady(line);
      });
    }
    launcher.once('exit', (code) =>
      rejectReady(new Error(`launcher exited with ${code}:\n${lines.slice(-60).join('\n')}`)),
    );
  });
  const timeoutMs = options.startTimeoutMs ?? 180_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rejectTimeout) => {
    timer = setTimeout(
      () => rejectTimeout(new Error(`node not ready in ${timeoutMs} ms:\n${lines.slice(-60).join('\n')}`)),
      timeoutMs,
    );
  });

  const stop = async (): Promise<void> => {
    if (launcher.exitCode === null) {
      const exited = new Promise((resolveExit) => launcher.once('exit', resolveExit));
      launcher.kill('SIGTERM');
      await exited;
    }
    try {
      await dropTestDatabaseWhenReleased(database);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    await cleanUpFailedStart(stop, 'node');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    baseUrl: `http://127.0.0.1:${ports[0]}`,
    adminUsername: 'admin',
    adminPassword,
    dialect: database.dialect,
    databaseUrl: database.url,
    sharedStorage: join(dataDir, 'shared'),
    deployRoot: join(dataDir, 'deployments'),
    output: () => lines.join('\n'),
    stop,
  };
}
