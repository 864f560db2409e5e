/** Capped exponential backoff: initialMs, doubling per attempt up to maxMs, plus jitter. */
export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
}

/** 250 ms doubling to 5 s: quick after a blip, one call per ~5 s per task through a long outage. */
export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 250, maxMs: 5000 };

/** Up to this fraction is added at random, so the executors of a cluster do not retry in step. */
const JITTER = 0.2;

/** The wait before retry number `attempt` (0 for the first retry). */
export function backoffDelayMs(attempt: number, backoff: RetryBackoff, random = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 + JITTER * random()));
}

/** Waits that end early when interrupted (the task is stopping: do not sleep through it). */
export class InterruptibleDelay {
  private readonly waiting = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }

  /** Ends every wait in progress now. */
  interrupt(): void {
    for (const done of [...this.waiting]) done();
  }
}

/**
 * Warns about a call that keeps failing without flooding the process log: the first failure at
 * once, then at most one line per interval with the count, and one line when it gets through.
 */
export class ThrottledFailureLog {
  private failures = 0;
  private firstFailureAt = 0;
  private lastWarnedAt = -Infinity;

  constructor(
    private readonly what: string,
    private readonly logger: { log(message: string): void; warn(message: string): void },
    private readonly now: () => number,
    private readonly intervalMs = 5000,
  ) {}

  failed(reason: string, next: string): void {
    const now = this.now();
    if (this.failures === 0) this.firstFailureAt = now;
    this.failures += 1;
    if (now - this.lastWarnedAt < this.intervalMs) return;
    this.lastWarnedAt = now;
    const since = this.failures > 1 ? `, ${this.failures} attempts over ${this.secondsSinceFirst(now)}s` : '';
    this.logger.warn(`${this.what} failed (${reason}${since}); ${next}`);
  }

  succeeded(): void {
    if (this.failures > 0)
      this.logger.log(
        `${this.what} got through after ${this.failures} failed attempt(s) over ${this.secondsSinceFirst(this.now())}s`,
      );
    this.failures = 0;
    this.lastWarnedAt = -Infinity;
  }

  private secondsSinceFirst(now: number): number {
    return Math.round((now - this.firstFailureAt) / 100) / 10;
  }
}
