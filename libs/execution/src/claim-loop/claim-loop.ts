import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { errorMessage } from '../task-runner/task-completion';

export interface ClaimLoopOptions {
  nodeName: string;
  /** How many more tasks the node may claim now (task cap, drain, licence, liveness). */
  gate: { freeSlots(runningTasks: number): number };
  pollIntervalMs: number;
  orchestrator: TaskOrchestrator;
  /** Runs a claimed task to its end; must not throw (a rejection is only logged). */
  runTask(plan: orchestratorV1.TaskPlan): Promise<unknown>;
  logger: { warn(message: string): void };
}

/**
 * Claims queued tasks while the gate gives this node free slots: on a timer, when
 * woken (Redis signal) and when a task ends. One claim pass at a time; a wake-up during a pass
 * runs another pass right after it, so no signal is lost.
 */
export class ClaimLoop {
  private readonly running = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private wokenDuringPass = false;
  private stopped = true;
  private lastError = '';

  constructor(private readonly options: ClaimLoopOptions) {}

  get runningCount(): number {
    return this.running.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.wake();
  }

  /** Claims now (or right after the pass in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.wokenDuringPass = true;
      return;
    }
    this.pass = this.claimWhileFree().finally(() => {
      this.pass = undefined;
      if (this.wokenDuringPass) {
        this.wokenDuringPass = false;
        this.wake();
      }
    });
  }

  /** Claims nothing more; resolves when a claim in flight has returned (its task still starts). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pass;
  }

  /** Resolves when every running task has ended, or after `timeoutMs`, whichever comes first. */
  async waitForRunningTasks(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const allDone = Promise.all([...this.running]).then(() => true);
    try {
      return await Promise.race([allDone, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async claimWhileFree(): Promise<void> {
    for (;;) {
      const freeSlots = this.options.gate.freeSlots(this.running.size);
      if (this.stopped || freeSlots <= 0) return;
      let reply: orchestratorV1.ClaimTaskReply;
      try {
        reply = await this.options.orchestrator.claimTask({ nodeName: this.options.nodeName, freeSlots });
      } catch (error) {
        this.warnOnce(`Claiming tasks failed: ${errorMessage(error)}`);
        return;
      }
      this.lastError = '';
      if (!reply.plan?.task) return;
      this.startTask(reply.plan);
    }
  }

  private startTask(plan: orchestratorV1.TaskPlan): void {
    const run: Promise<unknown> = this.options
      .runTask(plan)
      .catch((error: unknown) =>
        this.options.logger.warn(`Task ${plan.task?.id ?? '?'} crashed: ${errorMessage(error)}`),
      )
      .finally(() => {
        this.running.delete(run);
        // A slot just freed up: look for more work at once instead of at the next poll.
        this.wake();
      });
    this.running.add(run);
  }

  /** While the orchestrator is down every poll fails the same way; say so once, not every 2 s. */
  private warnOnce(message: string): void {
    if (message === this.lastError) return;
    this.lastError = message;
    this.options.logger.warn(message);
  }
}
