import { Redis } from 'ioredis';

import type { Reservation, ThrottleCounters, ThrottleLimit } from './throttle-counters';

/**
 * All keys or none, in one script (Redis runs a script atomically): a full counter is reported
 * with its remaining time and nothing is counted; otherwise INCR each, and start its window at
 * its first count (PEXPIRE), or if it somehow has no expiry, so no counter can lock for ever.
 * A fixed window from the first failure, not a sliding one: one small key per counter, O(1),
 * exact under any concurrency; and as it starts at the first failure rather than on a clock
 * boundary, no burst of 2 x max straddles two windows. A lockout so lasts at most one window.
 * KEYS: the counters; ARGV[1]: window ms; ARGV[1 + i]: the max of KEYS[i].
 */
const RESERVE = `
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[i + 1]) then
    return {0, i, redis.call('PTTL', key)}
  end
end
local result = {1}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[1]) end
  result[#result + 1] = count
end
return result`;

/** DECR only a live counter: a plain DECR on an expired key would create one at -1 with no expiry. */
const RELEASE = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0`;

export class RedisThrottleCounters implements ThrottleCounters {
  private everReady: boolean;

  constructor(
    private readonly redis: Redis,
    /** Keys are `<prefix><key>`; specs give each test its own prefix. */
    private readonly prefix = 'flotilla:signin:',
  ) {
    this.everReady = redis.status === 'ready';
    redis.on('ready', () => (this.everReady = true));
  }

  /**
   * Whether a command would be sent now (ioredis queues nothing while disconnected, see the
   * factory); 'starting' while the first connection is still being made, which is no outage.
   */
  state(): 'ready' | 'starting' | 'down' {
    const status = this.redis.status;
    if (status === 'ready') return 'ready';
    return !this.everReady && ['wait', 'connecting', 'connect'].includes(status) ? 'starting' : 'down';
  }

  async reserve(limits: readonly ThrottleLimit[], windowMs: number): Promise<Reservation> {
    const keys = limits.map((limit) => this.prefix + limit.key);
    const answer = (await this.redis.eval(
      RESERVE,
      keys.length,
      ...keys,
      String(Math.round(windowMs)),
      ...limits.map((limit) => String(limit.max)),
    )) as number[];
    if (answer[0] === 1) return { granted: true, counts: answer.slice(1) };
    const full = limits[(answer[1] ?? 1) - 1];
    return { granted: false, key: full?.key ?? '', retryAfterMs: Math.max(0, answer[2] ?? 0) };
  }

  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.prefix + key);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}

/**
 * The client for the counters: a command fails at once while Redis is away (no offline queue,
 * one retry, 1 s timeouts) so sign-in falls back to the database instead of waiting; ioredis keeps
 * reconnecting in the background, at most every 2 s.
 */
export function throttleRedisClient(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}
