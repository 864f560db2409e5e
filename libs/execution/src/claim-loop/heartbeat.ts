import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { errorMessage } from '../task-runner/task-completion';

export interface HeartbeatOptions {
  nodeName: string;
  version: string;
  intervalMs: number;
  orchestrator: TaskOrchestrator;
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
    this.timer = setInterval(() => this.beat(), this.options.intervalMs);
    this.beat();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
  }

  private beat(): void {
    if (this.beating) return;
    this.beating = this.send().finally(() => {
      this.beating = undefined;
    });
  }

  private async send(): Promise<void> {
    const { nodeName, version, orchestrator, logger } = this.options;
    try {
      await orchestrator.heartbeat({ nodeName, service: EXECUTOR_SERVICE_NAME, version });
      if (this.failing) logger.log('Heartbeats reach the orchestrator again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) logger.warn(`Heartbeat failed: ${errorMessage(error)}`);
      this.failing = true;
    }
  }
}
