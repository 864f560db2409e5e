import { MAX_KEPT_CALLER_TOKENS } from './caller-token-claims';

/**
 * Caller tokens kept by the minter (for reuse) and the verifier (as verified), bounded: when the
 * bound is reached, entries no longer usable go first, then the oldest. A bound, not a cache
 * policy: in practice each side holds one entry per active caller and audience.
 */
export class KeptTokens<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    /** Whether an entry can no longer be used at `now` (seconds). */
    private readonly stale: (value: V, nowSeconds: number) => boolean,
    private readonly max = MAX_KEPT_CALLER_TOKENS,
  ) {}

  /** The entry kept under `key` if it can still be used at `nowSeconds`; a stale one is dropped. */
  get(key: string, nowSeconds: number): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined || !this.stale(value, nowSeconds)) return value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, nowSeconds: number): void {
    // Re-inserted at the end: "oldest" is the least recently kept.
    this.entries.delete(key);
    if (this.entries.size >= this.max) {
      for (const [kept, keptValue] of this.entries)
        if (this.stale(keptValue, nowSeconds)) this.entries.delete(kept);
      for (const kept of this.entries.keys()) {
        if (this.entries.size < this.max) break;
        this.entries.delete(kept);
      }
    }
    this.entries.set(key, value);
  }
}
