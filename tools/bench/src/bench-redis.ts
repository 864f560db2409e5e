import { ChildProcess, spawn, spawnSync } from 'node:child_process';

import { freePort, waitForPort } from '@flotilla/platform/net';

/**
 * A throw-away redis-server on a free loopback port (nothing persisted), for benchmarks on a
 * single node: the cluster harness starts its own, a single test node does not. Undefined when
 * redis-server is not on the PATH.
 */
export async function startBenchRedis(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForPort('127.0.0.1', port, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
