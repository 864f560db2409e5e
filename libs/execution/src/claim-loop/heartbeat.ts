import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { errorMessage } from '../task-runner/task-completion';
import { MonotonicClock, monotonicNow } from './claim-gate';

export interface HeartbeatOptions {
  nodeName: string;
  version: string;
  /** FLOTILLA_TASK_CAP: the cap the node gets when it first registers. */
  defaultTaskCap: number;
  intervalMs: number;
  orchestrator: TaskOrchestrator;
  /** The orchestrator's view of this node, and when the heartbeat that got it was sent. */
  onReply(node: orchestratorV1.ClusterNode, sentAt: number): void;
  /** True from SIGTERM on: the node then shows as Draining (stopping) to the cluster. */
  isStopping?(): boolean;
  now?: MonotonicClock;
  logger: { warn(message: string): void; log(message: string): void };
}

export const EXECUTOR_SERVICE_NAME = 'deployment-executor';

/** Tells the orchestrator this node's executor is alive, every FLOTILLA_HEARTBEAT_INTERVAL_MS. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private beating: Promise<void> | undefined;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
    void this.beat();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
  }

  /** Sends a heartbeat now (or joins the one in flight); never throws. */
  beat(): Promise<void> {
    this.beating ??= this.send().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async send(): Promise<void> {
    const { nodeName, version, defaultTaskCap, orchestrator, logger } = this.options;
    const sentAt = (this.options.now ?? monotonicNow)();
    try {
      const node = await orchestrator.heartbeat({
        nodeName,
        service: EXECUTOR_SERVICE_NAME,
        version,
        defaultTaskCap,
        stopping: this.options.isStopping?.() ?? false,
      });
      if (this.failing) logger.log('Heartbeats reach the orchestrator again');
      this.failing = false;
      this.options.onReply(node, sentAt);
    } catch (error) {
      if (!this.failing) logger.warn(`Heartbeat failed: ${errorMessage(error)}`);
      this.failing = true;
    }
  }
}
