/** One counter an attempt must find room in: its key and the most failures it may hold per window. */
export interface ThrottleLimit {
  key: string;
  max: number;
}

export type Reservation =
  /** Room in every counter: each now holds one more; `counts[i]` is the new count of `limits[i]`. */
  | { granted: true; counts: number[] }
  /** A counter is full: nothing was counted; its window ends in `retryAfterMs`. */
  | { granted: false; key: string; retryAfterMs: number };

/**
 * Failed-attempt counters shared by every node (Redis, or the database when Redis is absent or
 * down). A window starts at a counter's first attempt and lasts `windowMs`; when it ends the
 * counter starts again from nothing.
 *
 * An attempt is counted *before* its password is checked (reserve), not after it failed: N
 * parallel attempts then take N distinct counts, so at most `max` of them ever reach the password
 * check, however many arrive at once. A success gives its count back (release, or reset for the
 * account), so only failures stay counted.
 */
export interface ThrottleCounters {
  /** Atomically over all `limits`: counts one more on each if every one has room, else counts nothing. */
  reserve(limits: readonly ThrottleLimit[], windowMs: number): Promise<Reservation>;
  /** Gives back one counted attempt (a success from an address, an attempt that could not be judged). */
  release(key: string): Promise<void>;
  /** Forgets a counter (a successful sign-in clears its account's failures). */
  reset(key: string): Promise<void>;
}
