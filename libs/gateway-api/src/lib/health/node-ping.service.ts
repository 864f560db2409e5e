import { Inject, Injectable, Logger } from '@nestjs/common';

import { ClusterNodeClient, NodeStatus } from '@flotilla/cluster/heartbeat';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { decidePing, PingDecision } from './ping-decision';

/** HAProxy checks every couple of seconds per gateway; the orchestrator is asked at most this often. */
export const PING_REFRESH_MS = 1000;

/**
 * How long a ping waits for a refresh before answering from the last known state. HAProxy gives
 * a check one second; a GetNode routed to a frozen orchestrator replica hangs until HAProxy takes
 * that replica out (about 3 s), and a ping waiting on it would get this healthy gateway marked
 * DOWN too: one frozen node would take the others out of the pool.
 */
export const PING_REFRESH_WAIT_MS = 300;

/**
 * Answers the load balancer's ping from the node state the cluster last reported (heartbeat replies
 * and GetNode), refreshing it from the orchestrator when it is older than a second.
 */
@Injectable()
export class NodePingService {
  private readonly logger = new Logger(NodePingService.name);
  private stopping = false;
  private refreshing: Promise<void> | undefined;

  constructor(
    @Inject(FLOTILLA_CONFIG)
    private readonly config: Pick<FlotillaConfig, 'nodeName' | 'version' | 'heartbeatTimeoutMs'>,
    @Inject(NodeStatus) private readonly status: Pick<NodeStatus, 'known' | 'record'>,
    @Inject(ClusterNodeClient) private readonly cluster: Pick<ClusterNodeClient, 'getNode'>,
  ) {}

  /** From now on the ping answers 418 so the load balancer stops sending users here. */
  beginStopping(): void {
    this.stopping = true;
  }

  async ping(): Promise<PingDecision> {
    if (!this.stopping) {
      const known = this.status.known();
      if (!known || known.ageMs >= PING_REFRESH_MS) await this.refreshWithin(PING_REFRESH_WAIT_MS);
    }
    return decidePing({
      nodeName: this.config.nodeName,
      version: this.config.version,
      stopping: this.stopping,
      known: this.status.known(),
      heartbeatTimeoutMs: this.config.heartbeatTimeoutMs,
      time: new Date().toISOString(),
    });
  }

  /** The refresh, or nothing more than `ms` of it: the refresh itself goes on and lands later. */
  private async refreshWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.refresh(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Concurrent pings share one GetNode call; a failure leaves the last known state to age. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.cluster
      .getNode(this.config.nodeName)
      .then((node) => this.status.record(node))
      .catch((error: unknown) => {
        this.logger.debug(`GetNode failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}
