import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';

import { RedisThrottleCounters, throttleRedisClient } from './redis-throttle-counters';
import { itBehavesLikeThrottleCounters } from './testing/throttle-counters-behaviour';

/** Against the machine's redis-server (127.0.0.1:6379), under a key prefix of this run's own. */
describe(RedisThrottleCounters.name, () => {
  const prefix = `flotilla-test:${randomUUID()}:`;
  let client: Redis;
  let sut: RedisThrottleCounters;

  beforeAll(async () => {
    client = throttleRedisClient(process.env['FLOTILLA_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    // No offline queue: nothing is sent before the connection is ready.
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    sut = new RedisThrottleCounters(client, prefix);
  });
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length) await client.del(...keys);
    await client.quit();
  });

  itBehavesLikeThrottleCounters(() => sut);

  it('gives each counter the window as its expiry at its first count, and leaves no key behind a release', async () => {
    await sut.reserve([{ key: 'account:a', max: 5 }], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sut.reserve([{ key: 'account:a', max: 5 }], 60_000);
    const ttl = await client.pttl(`${prefix}account:a`);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThan(59_960);

    await sut.release('ip:192.0.2.1');
    expect(await client.exists(`${prefix}ip:192.0.2.1`)).toBe(0);
  });

  it('gives a counter that somehow lost its expiry one again, so it cannot lock for ever', async () => {
    await client.set(`${prefix}account:b`, '1');
    await sut.reserve([{ key: 'account:b', max: 5 }], 60_000);
    expect(await client.pttl(`${prefix}account:b`)).toBeGreaterThan(59_000);
  });
});
