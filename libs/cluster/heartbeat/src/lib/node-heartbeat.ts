import type { ClusterNodeCalls } from './cluster-node-client';
import type { NodeStatus } from './node-status';

export interface NodeHeartbeatOptions {
  nodeName: string;
  /** Which service of the node this process is (auth, audit, artifact-store, gateway). */
  service: string;
  version: string;
  defaultTaskCap: number;
  intervalMs: number;
}

export interface HeartbeatLogger {
  log(message: string): void;
  warn(message: string): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Registers this service instance with the cluster and keeps its node alive: one heartbeat at
 * start-up, then one every interval. A failing orchestrator is logged once (warn) and retried on
 * the next tick; a heartbeat never throws, so the service keeps serving while the cluster recovers.
 */
export class NodeHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly options: NodeHeartbeatOptions,
    private readonly cluster: Pick<ClusterNodeCalls, 'heartbeat'>,
    private readonly status: Pick<NodeStatus, 'record'>,
    private readonly logger: HeartbeatLogger,
  ) {}

  /** Sends the first heartbeat now and schedules the rest. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
    // The process must be able to exit on its own; the timer alone is no reason to stay up.
    this.timer.unref();
    void this.beat();
  }

  /** Stops the schedule and waits for a heartbeat that is under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** One heartbeat; a beat still waiting for its answer makes this a no-op (no pile-up). */
  beat(): Promise<void> {
    this.inFlight ??= this.send().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async send(): Promise<void> {
    const { nodeName, service, version, defaultTaskCap } = this.options;
    try {
      const node = await this.cluster.heartbeat({
        nodeName,
        service,
        version,
        defaultTaskCap,
        stopping: false,
      });
      this.status.record(node);
      if (this.failing)
        this.logger.log(`Heartbeats of ${service} on ${nodeName} reach the orchestrator again`);
      this.failing = false;
    } catch (error) {
      if (!this.failing)
        this.logger.warn(
          `Heartbeat of ${service} on ${nodeName} failed (will keep trying): ${messageOf(error)}`,
        );
      this.failing = true;
    }
  }
}
