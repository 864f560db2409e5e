import {
  backoffDelayMs,
  DEFAULT_RETRY_BACKOFF,
  InterruptibleDelay,
  ThrottledFailureLog,
} from './retry-backoff';

describe('retry backoff', () => {
  it('doubles from 250 ms up to 5 s by default', () => {
    const noJitter = () => 0;
    const delays = Array.from({ length: 8 }, (_, attempt) =>
      backoffDelayMs(attempt, DEFAULT_RETRY_BACKOFF, noJitter),
    );
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(backoffDelayMs(10_000, DEFAULT_RETRY_BACKOFF, noJitter)).toBe(5000);
  });

  it('adds up to a fifth at random so executors do not retry in step', () => {
    expect(backoffDelayMs(0, DEFAULT_RETRY_BACKOFF, () => 0.999)).toBe(300);
    expect(backoffDelayMs(7, DEFAULT_RETRY_BACKOFF, () => 0.5)).toBe(5500);
  });

  it('ends a wait early when interrupted', async () => {
    const delay = new InterruptibleDelay();
    const started = Date.now();
    const waiting = delay.wait(60_000);
    delay.interrupt();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('warns about a failing call at most once per interval, and says when it got through', () => {
    let now = 0;
    const lines: string[] = [];
    const sut = new ThrottledFailureLog(
      'Task t: reporting completion',
      {
        log: (message) => lines.push(`log: ${message}`),
        warn: (message) => lines.push(`warn: ${message}`),
      },
      () => now,
    );
    for (let attempt = 0; attempt < 12; attempt += 1) {
      sut.failed('database unavailable', 'retrying');
      now += 1000;
    }
    sut.succeeded();
    expect(lines).toEqual([
      'warn: Task t: reporting completion failed (database unavailable); retrying',
      'warn: Task t: reporting completion failed (database unavailable, 6 attempts over 5s); retrying',
      'warn: Task t: reporting completion failed (database unavailable, 11 attempts over 10s); retrying',
      'log: Task t: reporting completion got through after 12 failed attempt(s) over 12s',
    ]);
  });
});
