import { performance } from 'node:perf_hooks';

import { Injectable } from '@nestjs/common';

import type { orchestratorV1 } from '@flotilla/contracts';

/** What the cluster last said about this node, and how long ago this process heard it. */
export interface KnownNodeState {
  node: orchestratorV1.ClusterNode;
  /** Milliseconds since the reply arrived (this process's monotonic clock: an age, not a time). */
  ageMs: number;
}

/**
 * The latest ClusterNode the orchestrator returned for this node (heartbeat replies and GetNode
 * answers both land here). The gateway's ping reads it to decide 200 / 418 / 503.
 */
@Injectable()
export class NodeStatus {
  private latest: { node: orchestratorV1.ClusterNode; receivedAt: number } | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  record(node: orchestratorV1.ClusterNode): void {
    this.latest = { node, receivedAt: this.now() };
  }

  /** Undefined until the orchestrator answered once. */
  known(): KnownNodeState | undefined {
    if (!this.latest) return undefined;
    return { node: this.latest.node, ageMs: Math.max(0, this.now() - this.latest.receivedAt) };
  }
}
