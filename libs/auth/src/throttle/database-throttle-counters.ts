import { DataSource } from 'typeorm';

import { dialectOf, isUniqueViolation } from '@flotilla/platform/persistence';

import { SignInThrottleSql, signInThrottleSql } from './sign-in-throttle.sql';
import type { Reservation, ThrottleCounters, ThrottleLimit } from './throttle-counters';

/** Expired rows are swept at most this often per process. */
const SWEEP_INTERVAL_MS = 60_000;
/** A reserve that keeps losing insert races (it cannot, more than once) gives up rather than loop. */
const MAX_ROUNDS = 4;

/**
 * The counters in the database (table sign_in_throttle), for when Redis is absent or down. One
 * row per counter; each statement is atomic on its row (the conditional UPDATE locks it), so
 * concurrent attempts on any node take distinct counts. Several counters are reserved one after
 * the other, and the ones taken are given back when a later one is full: never counted for an
 * attempt that was refused.
 */
export class DatabaseThrottleCounters implements ThrottleCounters {
  private readonly sql: SignInThrottleSql;
  private lastSweepAt = 0;

  constructor(private readonly dataSource: DataSource) {
    this.sql = signInThrottleSql(dialectOf(dataSource));
  }

  async reserve(limits: readonly ThrottleLimit[], windowMs: number): Promise<Reservation> {
    await this.sweepNowAndThen();
    const counts: number[] = [];
    for (const limit of limits) {
      const taken = await this.reserveOne(limit, windowMs);
      if (typeof taken === 'number') {
        counts.push(taken);
        continue;
      }
      for (const earlier of limits.slice(0, counts.length)) await this.release(earlier.key);
      return { granted: false, key: limit.key, retryAfterMs: taken.retryAfterMs };
    }
    return { granted: true, counts };
  }

  async release(key: string): Promise<void> {
    await this.dataSource.query(this.sql.release, [key]);
  }

  async reset(key: string): Promise<void> {
    await this.dataSource.query(this.sql.reset, [key]);
  }

  /** The new count, or how long until the full counter's window ends. */
  private async reserveOne(
    limit: ThrottleLimit,
    windowMs: number,
  ): Promise<number | { retryAfterMs: number }> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const taken = await this.reserveRow(limit, windowMs);
      if (taken !== undefined) return taken;
      const [row] = await this.rows<{ failures: number; remaining_ms: number | string }>(this.sql.remaining, [
        limit.key,
      ]);
      // Full, and its window still runs: refused. (Expired or with room: the reserve raced a reset
      // or a sweep; go round again.)
      if (row && Number(row.failures) >= limit.max && Number(row.remaining_ms) > 0)
        return { retryAfterMs: Number(row.remaining_ms) };
      if (!row) await this.insertIfAbsent(limit.key);
    }
    throw new Error(`sign-in throttle: counter ${limit.key} could not be reserved`);
  }

  private async insertIfAbsent(key: string): Promise<void> {
    try {
      await this.dataSource.query(this.sql.insertIfAbsent, [key]);
    } catch (error) {
      // SQL Server: another node inserted the row between our NOT EXISTS and our INSERT.
      if (!isUniqueViolation(error)) throw error;
    }
  }

  /** The new count, or undefined when the conditional update matched no row. */
  private async reserveRow(limit: ThrottleLimit, windowMs: number): Promise<number | undefined> {
    const params = [limit.key, limit.max, Math.round(windowMs)];
    if (this.sql.reserveReturnsCount) {
      const [taken] = await this.rows<{ failures: number }>(this.sql.reserve, params);
      return taken ? Number(taken.failures) : undefined;
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const updated = await runner.query(this.sql.reserve, params, true);
      const records = updated.records as unknown[] | undefined;
      const matched = (updated.affected ?? 0) > 0 || (Array.isArray(records) && records.length > 0);
      const [row] = matched
        ? ((await runner.query(this.sql.count, [limit.key])) as { failures: number }[])
        : [];
      await runner.commitTransaction();
      return row ? Number(row.failures) : undefined;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Rows a statement returned (UPDATE … RETURNING included). */
  private async rows<T>(sql: string, params: unknown[]): Promise<T[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return (Array.isArray(result.records) ? result.records : []) as T[];
    } finally {
      await runner.release();
    }
  }

  private async sweepNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweepAt < SWEEP_INTERVAL_MS) return;
    this.lastSweepAt = now;
    await this.dataSource.query(this.sql.deleteExpired);
  }
}
