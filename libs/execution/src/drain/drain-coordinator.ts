import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { classifyRpcFailure, errorMessage } from '../task-runner/task-completion';
import { StoppedTask } from '../task-runner/task-runner';

/** The tasks this node runs, as the drain needs them (TaskRunner). */
export interface RunningTasks {
  runningTaskIds(): string[];
  /** Resolves true when no task runs any more, false after `timeoutMs`. */
  waitUntilIdle(timeoutMs: number): Promise<boolean>;
  /** Kills the task's step, logs `reason` in its log and says where it should resume. */
  handBack(taskId: string, reason: string): Promise<StoppedTask | undefined>;
}

export interface DrainCoordinatorOptions {
  nodeName: string;
  /** FLOTILLA_DRAIN_TIMEOUT_MS: how long running tasks may take to finish. */
  drainTimeoutMs: number;
  /** Stops new claims; resolves when a claim in flight has returned. */
  stopClaiming(): Promise<void>;
  tasks: RunningTasks;
  orchestrator: Pick<TaskOrchestrator, 'releaseTask'>;
  /** How often the drain says how it is going. */
  progressLogIntervalMs?: number;
  /** Waits between ReleaseTask attempts while the orchestrator is unreachable (bounded on purpose). */
  releaseRetryDelaysMs?: readonly number[];
  logger: { log(message: string): void; warn(message: string): void };
}

export type DrainOutcome =
  | { finished: true }
  | { finished: false; released: string[]; notReleased: string[] };

const DEFAULT_RELEASE_RETRY_DELAYS_MS = [250, 500, 1000, 2000];

/**
 * A stopping node (SIGTERM): claims nothing new, lets running tasks finish for up to the drain
 * timeout, then kills what still runs and hands it back to the queue (ReleaseTask) so another
 * node resumes it at the first step that had not completed.
 *
 * The drain never waits on an unreachable orchestrator without bound, unlike a running task
 * (which retries its reports until they get through): a stopping node that cannot reach the
 * orchestrator would otherwise never stop. Its bounds: the drain timeout for tasks to finish
 * (a task still retrying its completion counts as running, so it gets that long too); then
 * handBack, which ends a task's waits on the orchestrator after a short grace (TaskRun, each
 * call itself bounded by the gRPC client's timeout); then a few ReleaseTask attempts over about
 * 4 s. What is not handed back stays owned by this node until the orchestrator sees the node
 * gone (heartbeats stop with the process) and recovers it from its last acknowledged step.
 */
export class DrainCoordinator {
  constructor(private readonly options: DrainCoordinatorOptions) {}

  async drain(): Promise<DrainOutcome> {
    const { tasks, logger, drainTimeoutMs, nodeName } = this.options;
    await this.options.stopClaiming();
    const deadline = Date.now() + drainTimeoutMs;
    const interval = this.options.progressLogIntervalMs ?? 5000;
    for (;;) {
      const running = tasks.runningTaskIds().length;
      if (running === 0) {
        logger.log(`Node ${nodeName} drained: no task is running`);
        return { finished: true };
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      logger.log(
        `Node ${nodeName} is draining: ${running} task(s) still running, ${Math.ceil(left / 1000)}s left`,
      );
      await tasks.waitUntilIdle(Math.min(interval, left));
    }
    return this.handBackRunningTasks();
  }

  private async handBackRunningTasks(): Promise<DrainOutcome> {
    const { tasks, logger, nodeName } = this.options;
    const ids = tasks.runningTaskIds();
    logger.warn(`Node ${nodeName}: drain timeout reached, handing ${ids.length} task(s) back to the queue`);
    const reason = `Node ${nodeName} is stopping`;
    const outcomes = await Promise.all(
      ids.map(async (taskId) => {
        const stopped = await tasks.handBack(taskId, reason);
        // Finished meanwhile, or another node owns it: nothing to hand back.
        if (!stopped) return { taskId, released: false };
        return { taskId, released: await this.release(stopped, reason) };
      }),
    );
    return {
      finished: false,
      released: outcomes.filter((outcome) => outcome.released).map((outcome) => outcome.taskId),
      notReleased: outcomes.filter((outcome) => !outcome.released).map((outcome) => outcome.taskId),
    };
  }

  private async release(task: StoppedTask, reason: string): Promise<boolean> {
    const { orchestrator, logger } = this.options;
    const delays = this.options.releaseRetryDelaysMs ?? DEFAULT_RELEASE_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await orchestrator.releaseTask({ ...task, reason });
        logger.log(`Task ${task.taskId} handed back to the queue at step ${task.nextStep + 1}`);
        return true;
      } catch (error) {
        const failure = classifyRpcFailure(error);
        if (failure === 'stale') {
          logger.warn(
            `Task ${task.taskId}: not handed back, claim ${task.claim} is stale (another node owns it)`,
          );
          return false;
        }
        if (failure === 'refused' || attempt >= delays.length) {
          logger.warn(
            `Task ${task.taskId}: could not hand it back (${errorMessage(error)}); ` +
              'the orchestrator recovers it when this node is seen dead',
          );
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
      }
    }
  }
}
