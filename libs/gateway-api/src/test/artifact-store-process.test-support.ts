import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { createTestDatabase, freePort } from '@flotilla/testing';

const repoRoot = resolve(__dirname, '..', '..', '..', '..');

export interface ArtifactStoreProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

function runTs(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, ...env, SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves once a line matches `ready`; rejects when the process exits first or time runs out. */
function waitForLine(
  child: ChildProcess,
  lines: string[],
  ready: RegExp | 'exit-0',
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolveWait, rejectWait) => {
    const timer = setTimeout(
      () => rejectWait(new Error(`not ready in ${timeoutMs} ms:\n${lines.slice(-40).join('\n')}`)),
      timeoutMs,
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (ready !== 'exit-0' && ready.test(line)) {
          clearTimeout(timer);
          resolveWait();
        }
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (ready === 'exit-0' && code === 0) resolveWait();
      else rejectWait(new Error(`exited with ${code}:\n${lines.slice(-40).join('\n')}`));
    });
  });
}

/**
 * The real artifact-store service (apps/artifact-store, as `npm start` runs it) in a process of its
 * own, over a freshly migrated database and the given shared-storage root. The gateway reaches it
 * the way it does in production: gRPC to a separate process, nothing shared in memory.
 */
export async function startArtifactStoreProcess(sharedStorage: string): Promise<ArtifactStoreProcess> {
  const database = await createTestDatabase();
  const dbEnv = { FLOTILLA_DB_DIALECT: 'postgres', FLOTILLA_DB_URL: database.url };
  const migrateLines: string[] = [];
  await waitForLine(runTs('tools/launcher/src/migrate.ts', dbEnv), migrateLines, 'exit-0', 120_000);

  const url = `127.0.0.1:${await freePort()}`;
  // Nobody listens there: heartbeats and audit relays retry quietly, uploads do not depend on them.
  const nowhere = `127.0.0.1:${await freePort()}`;
  const lines: string[] = [];
  const child = runTs('apps/artifact-store/src/main.ts', {
    ...dbEnv,
    FLOTILLA_NODE_NAME: 'storage-test-node',
    FLOTILLA_SHARED_STORAGE: sharedStorage,
    FLOTILLA_ARTIFACTS_GRPC_LISTEN: url,
    FLOTILLA_ORCHESTRATOR_GRPC_URL: nowhere,
    FLOTILLA_AUDIT_GRPC_URL: nowhere,
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
      child.kill('SIGTERM');
      await exited;
    }
    await database.drop();
  };
  try {
    await waitForLine(child, lines, /listening for gRPC/, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, output: () => lines.join('\n'), stop };
}
