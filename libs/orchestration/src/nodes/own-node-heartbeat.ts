import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { NodesService } from './nodes.service';

export const ORCHESTRATOR_NODE_SERVICE = 'task-orchestrator';

type OwnNodeConfig = Pick<FlotillaConfig, 'nodeName' | 'version' | 'taskCap' | 'heartbeatIntervalMs'>;

/**
 * The orchestrator's own heartbeat. Every other service heartbeats through the orchestrator's
 * gRPC API; the orchestrator has the registry in-process, so it records itself directly — a node
 * whose only live process is the orchestrator still shows up (and is not taken for dead).
 */
@Injectable()
export class OwnNodeHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OwnNodeHeartbeat');
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failing = false;

  constructor(
    @Inject(NodesService) private readonly nodes: Pick<NodesService, 'heartbeat'>,
    @Inject(FLOTILLA_CONFIG) private readonly config: OwnNodeConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.config.heartbeatIntervalMs);
    // The timer alone is no reason for the process to stay up.
    this.timer.unref();
    void this.beat();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** One heartbeat; while one is still waiting on the database this is a no-op (no pile-up). */
  beat(): Promise<void> {
    this.inFlight ??= this.send().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async send(): Promise<void> {
    const { nodeName, version, taskCap } = this.config;
    try {
      await this.nodes.heartbeat({
        nodeName,
        service: ORCHESTRATOR_NODE_SERVICE,
        version,
        defaultTaskCap: taskCap,
        stopping: false,
      });
      if (this.failing) this.logger.log(`Heartbeats of ${nodeName} reach the database again`);
      this.failing = false;
    } catch (error) {
      // The database may be briefly away: log once, keep trying on the next tick.
      if (!this.failing)
        this.logger.warn(
          `Heartbeat of ${nodeName} failed (will keep trying): ${error instanceof Error ? error.message : String(error)}`,
        );
      this.failing = true;
    }
  }
}
