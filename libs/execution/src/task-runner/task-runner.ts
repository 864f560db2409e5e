import { orchestratorV1 } from '@flotilla/contracts';

import { TaskRun, TaskRunnerOptions, TaskRunResult } from './task-run';

/** A task this node stopped and that the orchestrator should re-queue, resuming at `nextStep`. */
export interface StoppedTask {
  taskId: string;
  claim: number;
  nextStep: number;
}

/** Runs claimed tasks (one TaskRun each) and lets the node reach the ones still running. */
export class TaskRunner {
  private readonly runs = new Map<string, { run: TaskRun; done: Promise<TaskRunResult> }>();

  constructor(private readonly options: TaskRunnerOptions) {}

  run(plan: orchestratorV1.TaskPlan): Promise<TaskRunResult> {
    const run = new TaskRun(this.options, plan);
    const done = run.execute().finally(() => this.runs.delete(run.taskId));
    this.runs.set(run.taskId, { run, done });
    return done;
  }

  runningTaskIds(): string[] {
    return [...this.runs.keys()];
  }

  /** A cancel signal for a task this node runs: ask the orchestrator now rather than at the next tick. */
  reportProgressNow(taskId: string): boolean {
    const entry = this.runs.get(taskId);
    if (!entry) return false;
    void entry.run.reportProgress();
    return true;
  }

  /**
   * Kills the task's step and closes its log with `reason`; resolves with what the orchestrator
   * needs to re-queue it, or undefined when the task ended otherwise (finished, or lost its claim).
   */
  async handBack(taskId: string, reason: string): Promise<StoppedTask | undefined> {
    const entry = this.runs.get(taskId);
    if (!entry) return undefined;
    entry.run.stopForHandBack(reason);
    const result = await entry.done;
    return result.state === 'HandedBack'
      ? { taskId, claim: result.claim, nextStep: result.nextStep }
      : undefined;
  }

  /** Resolves true when no task runs any more, false after `timeoutMs`. */
  async waitUntilIdle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const idle = async (): Promise<boolean> => {
      // A task claimed while we waited joins the wait.
      while (this.runs.size > 0) await Promise.allSettled([...this.runs.values()].map((entry) => entry.done));
      return true;
    };
    try {
      return await Promise.race([idle(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
