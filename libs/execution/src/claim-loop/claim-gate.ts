import { orchestratorV1 } from '@flotilla/contracts';

/** A clock that only moves forward (and keeps moving while the process is paused). */
export type MonotonicClock = () => number;

export const monotonicNow: MonotonicClock = () => performance.now();

export interface ClaimGateOptions {
  /** How long the cluster waits for a heartbeat before it considers a node dead. */
  heartbeatTimeoutMs: number;
  now?: MonotonicClock;
  logger: { warn(message: string): void; log(message: string): void };
}

/** How many tasks this node may claim now, and when none, why not (for logs and tests). */
export interface ClaimDecision {
  freeSlots: number;
  reason: string;
}

/**
 * Decides whether this node may claim tasks, from the orchestrator's latest heartbeat reply
 * (task cap, drain flag, licence) and from how long ago a heartbeat last got through: a node the
 * cluster may already consider dead must not start new work. Lowering the cap never stops
 * running tasks; it only holds new claims until the node is below it.
 */
export class ClaimGate {
  private node: orchestratorV1.ClusterNode | undefined;
  /** When the last successful heartbeat was sent: the cluster saw us alive no earlier than this. */
  private lastBeatSentAt: number | undefined;
  private stopping = false;
  private statusMessage = '';
  private readonly now: MonotonicClock;

  constructor(private readonly options: ClaimGateOptions) {
    this.now = options.now ?? monotonicNow;
  }

  heartbeatSucceeded(node: orchestratorV1.ClusterNode, sentAt: number): void {
    const previous = this.node;
    this.node = node;
    this.lastBeatSentAt = Math.max(sentAt, this.lastBeatSentAt ?? sentAt);
    this.announceChanges(previous, node);
  }

  /** From now on nothing new is claimed (the node is stopping); there is no way back. */
  stopClaiming(): void {
    this.stopping = true;
  }

  /** True once stopClaiming was called: heartbeats then tell the cluster the node is stopping. */
  isStopping(): boolean {
    return this.stopping;
  }

  /**
   * True while the cluster cannot yet have declared this node dead, so its claims still stand.
   * False before the first heartbeat and after a pause or outage longer than the timeout.
   */
  isAlive(): boolean {
    return (
      this.lastBeatSentAt !== undefined && this.now() - this.lastBeatSentAt < this.options.heartbeatTimeoutMs
    );
  }

  decide(runningTasks: number): ClaimDecision {
    const closed = (reason: string): ClaimDecision => ({ freeSlots: 0, reason });
    if (this.stopping) return closed('the node is stopping');
    if (!this.node || this.lastBeatSentAt === undefined) return closed('no heartbeat has got through yet');
    if (!this.isAlive())
      return closed(
        'no heartbeat got through within the heartbeat timeout; the cluster may consider this node dead',
      );
    if (this.node.isDraining) return closed('the node is draining');
    if (this.node.overLicenceLimit)
      return closed(this.node.statusMessage || 'the node is over the licence limit');
    const free = this.node.taskCap - runningTasks;
    if (free <= 0) return closed(`the node runs ${runningTasks} task(s), its cap is ${this.node.taskCap}`);
    return { freeSlots: free, reason: '' };
  }

  freeSlots(runningTasks: number): number {
    return this.decide(runningTasks).freeSlots;
  }

  /** Operators must notice a node that refuses work: say it loudly, but once per change. */
  private announceChanges(
    previous: orchestratorV1.ClusterNode | undefined,
    node: orchestratorV1.ClusterNode,
  ): void {
    const { logger } = this.options;
    if (node.statusMessage !== this.statusMessage) {
      this.statusMessage = node.statusMessage;
      if (node.statusMessage) logger.warn(`Node ${node.name}: ${node.statusMessage}`);
      else logger.log(`Node ${node.name}: status message cleared`);
    }
    if (node.isDraining !== (previous?.isDraining ?? false))
      logger.log(`Node ${node.name} ${node.isDraining ? 'is draining: no new tasks' : 'takes tasks again'}`);
    if (previous && node.taskCap !== previous.taskCap)
      logger.log(`Node ${node.name}: task cap changed from ${previous.taskCap} to ${node.taskCap}`);
  }
}
