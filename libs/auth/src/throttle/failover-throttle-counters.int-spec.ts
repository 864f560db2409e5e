import { ChildProcess, spawn } from 'node:child_process';

import { Redis } from 'ioredis';

import { freePort, createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';

import { DatabaseThrottleCounters } from './database-throttle-counters';
import { FailoverThrottleCounters } from './failover-throttle-counters';
import { RedisThrottleCounters, throttleRedisClient } from './redis-throttle-counters';

function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  return new Promise((resolve) => setTimeout(() => resolve(redis), 300));
}

async function stopRedis(redis: ChildProcess): Promise<void> {
  if (redis.exitCode !== null) return;
  const exited = new Promise((resolve) => redis.once('exit', resolve));
  redis.kill('SIGTERM');
  await exited;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A redis-server of its own (stopped and started here) and the database (PostgreSQL) behind it. */
describe(`${FailoverThrottleCounters.name} on real servers`, () => {
  let port: number;
  let redis: ChildProcess;
  let client: Redis;
  let db: MigratedTestDatabase;
  const log: string[] = [];
  let sut: FailoverThrottleCounters;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    client = throttleRedisClient(`redis://127.0.0.1:${port}`);
    client.on('error', () => undefined);
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations }, 'postgres');
    sut = new FailoverThrottleCounters(
      new RedisThrottleCounters(client, 'spec:'),
      new DatabaseThrottleCounters(db.dataSource),
      { warn: (message) => log.push(`warn: ${message}`), log: (message) => log.push(`log: ${message}`) },
    );
    await until(() => client.status === 'ready', 5000);
  });
  afterAll(async () => {
    client.disconnect();
    await stopRedis(redis);
    await db.dispose();
  });

  const dbCount = async (key: string): Promise<number> => {
    const rows = await db.dataSource.query<{ failures: number }[]>(
      'SELECT failures FROM sign_in_throttle WHERE throttle_key = $1',
      [key],
    );
    return rows[0]?.failures ?? 0;
  };

  it('counts in Redis, in the database while Redis is down (said once), and in Redis again when it is back', async () => {
    const limits = [{ key: 'account:x', max: 100 }];
    await sut.reserve(limits, 60_000);
    expect(await client.get('spec:account:x')).toBe('1');

    await stopRedis(redis);
    for (let i = 0; i < 3; i++)
      await expect(sut.reserve(limits, 60_000)).resolves.toMatchObject({ granted: true });
    expect(await dbCount('account:x')).toBe(3);
    expect(log).toEqual([
      expect.stringMatching(/^warn: Redis unavailable .*counts in the database until it is back$/),
    ]);

    redis = await startRedis(port);
    await until(() => client.status === 'ready', 10_000);
    await sut.reserve(limits, 60_000);
    // A new server: its counter starts from nothing (the database's count stays in the database).
    expect(await client.get('spec:account:x')).toBe('1');
    expect(await dbCount('account:x')).toBe(3);
    expect(log).toEqual([log[0], 'log: Redis is back: sign-in throttling counts in Redis again']);
  });
});
