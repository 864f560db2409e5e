import type { Reservation, ThrottleCounters, ThrottleLimit } from '../throttle-counters';

/**
 * TEST ONLY: the counters' contract in memory, on a clock the spec moves (unit specs of the
 * throttle's logic; the real stores have integration and contract specs of their own).
 */
export class InMemoryThrottleCounters implements ThrottleCounters {
  readonly entries = new Map<string, { count: number; endsAt: number }>();
  now = 0;

  reserve(limits: readonly ThrottleLimit[], windowMs: number): Promise<Reservation> {
    for (const limit of limits) {
      const entry = this.live(limit.key);
      if (entry && entry.count >= limit.max)
        return Promise.resolve({ granted: false, key: limit.key, retryAfterMs: entry.endsAt - this.now });
    }
    const counts = limits.map((limit) => {
      const entry = this.live(limit.key) ?? { count: 0, endsAt: this.now + windowMs };
      entry.count += 1;
      this.entries.set(limit.key, entry);
      return entry.count;
    });
    return Promise.resolve({ granted: true, counts });
  }

  release(key: string): Promise<void> {
    const entry = this.live(key);
    if (entry && entry.count > 0) entry.count -= 1;
    return Promise.resolve();
  }

  reset(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  countOf(key: string): number {
    return this.live(key)?.count ?? 0;
  }

  private live(key: string): { count: number; endsAt: number } | undefined {
    const entry = this.entries.get(key);
    return entry && entry.endsAt > this.now ? entry : undefined;
  }
}
