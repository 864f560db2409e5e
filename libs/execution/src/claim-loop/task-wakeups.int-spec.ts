import { ChildProcess, spawn } from 'node:child_process';

import Redis from 'ioredis';

import { freePort } from '@flotilla/testing';

import { TASKS_QUEUED_CHANNEL, TaskWakeups } from './task-wakeups';

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return condition();
}

/** Against a real redis-server on a free loopback port, started and stopped by this spec. */
describe(TaskWakeups.name, () => {
  let redis: ChildProcess;
  let url: string;
  let publisher: Redis;

  beforeAll(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    publisher = new Redis(url, { retryStrategy: () => 50 });
    await publisher.ping();
  });

  afterAll(async () => {
    publisher.disconnect();
    redis.kill('SIGTERM');
    await new Promise((resolve) => redis.once('exit', resolve));
  });

  it('wakes the claim loop when a task is queued', async () => {
    let wakes = 0;
    const sut = new TaskWakeups({
      redisUrl: url,
      onWake: () => (wakes += 1),
      logger: { warn: () => undefined, log: () => undefined },
    });
    sut.start();
    // Subscribed once the ready wake-up has fired.
    await waitFor(() => wakes > 0, 3000);
    const before = wakes;
    await waitFor(() => false, 100);
    await publisher.publish(TASKS_QUEUED_CHANNEL, 'task-1');
    expect(await waitFor(() => wakes > before, 2000)).toBe(true);
    sut.stop();
  });

  it('never throws when Redis is unreachable, and only warns', async () => {
    const warnings: string[] = [];
    const sut = new TaskWakeups({
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
      onWake: () => undefined,
      logger: { warn: (message) => warnings.push(message), log: () => undefined },
    });
    sut.start();
    await waitFor(() => warnings.length > 0, 2000);
    sut.stop();
    // Let the refused socket finish closing so nothing outlives the spec.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(warnings[0]).toContain('polling continues');
  });
});
