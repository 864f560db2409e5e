import { ChildProcess, spawn, spawnSync } from 'node:child_process';

import { freePort, waitForPort } from '@flotilla/platform/net';

/** A redis-server this tool started; it can be stopped and started again on the same port. */
export interface ClusterRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A throw-away redis-server on a free loopback port, nothing persisted. */
export async function startRedisServer(log: (line: string) => void): Promise<ClusterRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child) return;
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = started;
    started.once('exit', (code, signal) => {
      if (child === started) {
        child = undefined;
        log(`[redis] exited (${code ?? signal})`);
      }
    });
    await waitForPort('127.0.0.1', port, 10_000);
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
