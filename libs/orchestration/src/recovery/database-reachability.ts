/** Milliseconds from a clock that never jumps (not the wall clock, which NTP or an operator may move). */
export type MonotonicClock = () => number;

export const monotonicMs: MonotonicClock = () => performance.now();

/**
 * Whether this orchestrator replica has had the database continuously reachable for long enough
 * to judge nodes and executors by their silence. While the database is away (restarting, failing
 * over) nobody can heartbeat or report progress, so once it is back everyone gets a full heartbeat
 * timeout to be heard again before recovery may take their tasks. A replica that has just started
 * has not watched the cluster for a timeout either, so it waits the same way.
 * Fed by every round trip recovery makes (its passes, or a probe while it holds back); a failed
 * one ends the stretch.
 */
export class DatabaseReachability {
  /** Start of the current unbroken stretch of successful round trips (monotonic ms); none yet or lost. */
  private reachableSince: number | undefined;

  constructor(
    /** How long the database must have been reachable: the heartbeat timeout. */
    readonly requiredMs: number,
    private readonly clock: MonotonicClock = monotonicMs,
  ) {}

  /** A round trip succeeded. True when this starts a stretch (first contact, or back after an outage). */
  reached(): boolean {
    if (this.reachableSince !== undefined) return false;
    this.reachableSince = this.clock();
    return true;
  }

  /** A round trip failed. True when this ends a stretch (false when it was already lost or never began). */
  lost(): boolean {
    const ended = this.reachableSince !== undefined;
    this.reachableSince = undefined;
    return ended;
  }

  /**
   * How much longer recovery must hold back: 0 once the database has been reachable for
   * requiredMs; undefined while it is not known to be reachable at all.
   */
  remainingMs(): number | undefined {
    if (this.reachableSince === undefined) return undefined;
    return Math.max(0, this.reachableSince + this.requiredMs - this.clock());
  }
}
