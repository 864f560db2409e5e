import { ClusterCounters, FailoverThrottleCounters } from './failover-throttle-counters';
import { InMemoryThrottleCounters } from './testing/in-memory-throttle-counters';

/** Redis as the failover sees it: ready or not, and failing its commands when told to. */
class FakeRedisCounters extends InMemoryThrottleCounters implements ClusterCounters {
  ready: 'ready' | 'starting' | 'down' = 'ready';
  failing = false;

  state() {
    return this.ready;
  }

  override reserve(...args: Parameters<InMemoryThrottleCounters['reserve']>) {
    return this.failing ? Promise.reject(new Error('Connection is closed.')) : super.reserve(...args);
  }
}

const limits = [{ key: 'account:a', max: 5 }];

describe(FailoverThrottleCounters.name, () => {
  let redis: FakeRedisCounters;
  let database: InMemoryThrottleCounters;
  let log: string[];
  let sut: FailoverThrottleCounters;

  beforeEach(() => {
    redis = new FakeRedisCounters();
    database = new InMemoryThrottleCounters();
    log = [];
    sut = new FailoverThrottleCounters(redis, database, {
      warn: (message) => log.push(`warn: ${message}`),
      log: (message) => log.push(`log: ${message}`),
    });
  });

  it('counts in Redis while it answers, and says nothing', async () => {
    await sut.reserve(limits, 1000);
    expect(redis.countOf('account:a')).toBe(1);
    expect(database.countOf('account:a')).toBe(0);
    expect(log).toEqual([]);
  });

  it('falls back to the database when Redis is not connected or fails, says so once, and says when it is back', async () => {
    redis.ready = 'down';
    await sut.reserve(limits, 1000);
    redis.ready = 'ready';
    redis.failing = true;
    await sut.reserve(limits, 1000);
    await sut.reserve(limits, 1000);
    expect(database.countOf('account:a')).toBe(3);
    expect(log).toEqual([
      'warn: Redis unavailable (not connected): sign-in throttling counts in the database until it is back',
    ]);

    redis.failing = false;
    await sut.reserve(limits, 1000);
    await sut.reserve(limits, 1000);
    expect(redis.countOf('account:a')).toBe(2);
    expect(log).toHaveLength(2);
    expect(log[1]).toBe('log: Redis is back: sign-in throttling counts in Redis again');
  });

  it('counts in the database while Redis makes its first connection, saying nothing', async () => {
    redis.ready = 'starting';
    await sut.reserve(limits, 1000);
    expect(database.countOf('account:a')).toBe(1);
    redis.ready = 'ready';
    await sut.reserve(limits, 1000);
    expect(redis.countOf('account:a')).toBe(1);
    expect(log).toEqual([]);
  });

  it('uses the database alone when no Redis is configured', async () => {
    const databaseOnly = new FailoverThrottleCounters(undefined, database, {
      warn: (message) => log.push(message),
      log: (message) => log.push(message),
    });
    await databaseOnly.reserve(limits, 1000);
    await databaseOnly.reset('account:a');
    expect(database.entries.size).toBe(0);
    expect(log).toEqual([]);
  });
});
