import type { Reservation, ThrottleCounters, ThrottleLimit } from './throttle-counters';

/** Redis counters that can say whether they can be asked right now, or are still connecting at start. */
export interface ClusterCounters extends ThrottleCounters {
  state(): 'ready' | 'starting' | 'down';
}

export interface ThrottleLog {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * Redis when configured and answering, the database otherwise (DESIGN.md: Redis accelerates,
 * never decides). The switch is said once each way in the log, not per request. A counter does
 * not move between the two: after a switch the other store counts from its own state, so an
 * attacker gains at most one more window's allowance per outage, and nobody is locked out by
 * counts the other store no longer sees.
 */
export class FailoverThrottleCounters implements ThrottleCounters {
  private onDatabase = false;

  constructor(
    private readonly redis: ClusterCounters | undefined,
    private readonly database: ThrottleCounters,
    private readonly logger: ThrottleLog,
  ) {}

  reserve(limits: readonly ThrottleLimit[], windowMs: number): Promise<Reservation> {
    return this.use((counters) => counters.reserve(limits, windowMs));
  }

  release(key: string): Promise<void> {
    return this.use((counters) => counters.release(key));
  }

  reset(key: string): Promise<void> {
    return this.use((counters) => counters.reset(key));
  }

  private async use<T>(work: (counters: ThrottleCounters) => Promise<T>): Promise<T> {
    const redis = this.redis;
    if (!redis) return work(this.database);
    const state = redis.state();
    if (state === 'ready') {
      try {
        const answer = await work(redis);
        if (this.onDatabase) {
          this.onDatabase = false;
          this.logger.log('Redis is back: sign-in throttling counts in Redis again');
        }
        return answer;
      } catch (error) {
        this.fallBack(error instanceof Error ? error.message : String(error));
      }
    } else if (state === 'down') this.fallBack('not connected');
    // Still making its first connection (a sign-in in the service's first moments): the database
    // counts this one, and nothing is said unless the connection fails.
    return work(this.database);
  }

  private fallBack(why: string): void {
    if (this.onDatabase) return;
    this.onDatabase = true;
    this.logger.warn(
      `Redis unavailable (${why}): sign-in throttling counts in the database until it is back`,
    );
  }
}
