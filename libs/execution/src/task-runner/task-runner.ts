import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { TaskLog } from '../task-log/task-log-writer';
import { DeploymentVariables, redactor } from '../variables/deployment-variables';
import { StepExecutor, StepOutcome } from './step-executor';
import { errorMessage, isStaleClaim, isTransient } from './task-completion';

/** The log of one task as the runner needs it. */
export interface TaskLogSink extends TaskLog {
  sync(): Promise<void>;
  close(): Promise<void>;
  abandon(): Promise<void>;
}

export interface TaskRunnerOptions {
  orchestrator: TaskOrchestrator;
  steps: readonly StepExecutor[];
  openLog(taskId: string, redact: (message: string) => string): Promise<TaskLogSink>;
  /** Local (process) log for what must not go to the task: stale claims, orchestrator trouble. */
  logger: { log(message: string): void; warn(message: string): void };
  /** How often progress is reported while a step runs; the orchestrator expects at least every second. */
  progressIntervalMs?: number;
  /** Waits between CompleteTask attempts while the orchestrator is unreachable. */
  completionRetryDelaysMs?: readonly number[];
}

export type FinalTaskState = 'Success' | 'Failed' | 'Canceled' | 'TimedOut';
export type TaskRunResult =
  | { state: FinalTaskState; errorMessage: string }
  | { state: 'Abandoned'; errorMessage: string };

const DEFAULT_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];

/** Runs one claimed task's steps and reports it; see TaskRun for the decisions. */
export class TaskRunner {
  constructor(private readonly options: TaskRunnerOptions) {}

  run(plan: orchestratorV1.TaskPlan): Promise<TaskRunResult> {
    return new TaskRun(this.options, plan).execute();
  }
}

class TaskRun {
  private readonly taskId: string;
  private readonly claim: number;
  private nextStep: number;
  private readonly abort = new AbortController();
  private stopReason: 'cancel' | 'stale' | undefined;
  private reporting: Promise<void> | undefined;
  private log: TaskLogSink | undefined;
  private abandoning: Promise<void> | undefined;

  constructor(
    private readonly options: TaskRunnerOptions,
    private readonly plan: orchestratorV1.TaskPlan,
  ) {
    this.taskId = plan.task?.id ?? '';
    this.claim = plan.task?.claim ?? 0;
    this.nextStep = Math.max(0, plan.startAtStep);
  }

  async execute(): Promise<TaskRunResult> {
    const variables = DeploymentVariables.forPlan(this.plan);
    let log: TaskLogSink;
    try {
      log = await this.options.openLog(this.taskId, redactor(variables.sensitiveValues()));
    } catch (error) {
      return this.complete({
        state: 'Failed',
        errorMessage: `Could not open the task log: ${errorMessage(error)}`,
      });
    }
    this.log = log;
    const ticker = setInterval(() => void this.reportProgress(), this.options.progressIntervalMs ?? 1000);
    let result: TaskRunResult;
    try {
      result = await this.runSteps(log, variables);
    } finally {
      clearInterval(ticker);
      await this.reporting;
    }
    if (result.state === 'Abandoned') {
      // The new owner is the log's only writer now; we leave both the log and the task alone.
      await (this.abandoning ?? log.abandon());
      this.options.logger.warn(
        `Task ${this.taskId}: claim ${this.claim} is stale (another node owns the task); stopped.`,
      );
      return result;
    }
    try {
      await log.close();
    } catch (error) {
      this.options.logger.warn(`Task ${this.taskId}: could not finish the task log: ${errorMessage(error)}`);
    }
    return this.complete(result);
  }

  private async runSteps(log: TaskLogSink, variables: DeploymentVariables): Promise<TaskRunResult> {
    const { steps } = this.plan;
    if (this.nextStep > 0) log.info(`Resuming at step ${this.nextStep + 1} of ${steps.length}`);
    for (let index = 0; index < Math.min(this.nextStep, steps.length); index += 1) {
      const step = steps[index];
      this.executorFor(step.actionType)?.restoreOutputs?.({
        plan: this.plan,
        step,
        stepIndex: index,
        variables,
      });
    }
    await this.reportProgress();
    for (let index = this.nextStep; index < steps.length && !this.stopReason; index += 1) {
      const step = steps[index];
      log.info(`Step ${index + 1} of ${steps.length}: ${step.name} (${step.actionType})`);
      const outcome = await this.runStep(index, log, variables);
      if (this.stopReason) break;
      if (outcome.kind !== 'success') {
        log.error(`Step ${step.name} failed: ${outcome.message}`);
        await this.syncQuietly(log);
        return { state: outcome.kind === 'timedOut' ? 'TimedOut' : 'Failed', errorMessage: outcome.message };
      }
      log.info(`Step ${step.name} completed`);
      this.nextStep = index + 1;
      await this.syncQuietly(log);
      await this.reportProgress();
    }
    if (this.stopReason === 'stale')
      return { state: 'Abandoned', errorMessage: 'Another node owns the task' };
    if (this.stopReason === 'cancel') {
      log.warning('The task was canceled');
      return { state: 'Canceled', errorMessage: 'The task was canceled' };
    }
    log.info('Deployment completed successfully');
    return { state: 'Success', errorMessage: '' };
  }

  private async runStep(index: number, log: TaskLog, variables: DeploymentVariables): Promise<StepOutcome> {
    const step = this.plan.steps[index];
    const executor = this.executorFor(step.actionType);
    if (!executor) return { kind: 'failed', message: `Unknown action type "${step.actionType}"` };
    try {
      return await executor.run({
        plan: this.plan,
        step,
        stepIndex: index,
        variables,
        log,
        signal: this.abort.signal,
      });
    } catch (error) {
      return { kind: 'failed', message: errorMessage(error) };
    }
  }

  private executorFor(actionType: string): StepExecutor | undefined {
    return this.options.steps.find((executor) => executor.actionType === actionType);
  }

  /** One ReportProgress at a time; a tick that finds one in flight joins it. */
  private reportProgress(): Promise<void> {
    if (this.stopReason) return Promise.resolve();
    this.reporting ??= this.sendProgress().finally(() => {
      this.reporting = undefined;
    });
    return this.reporting;
  }

  private async sendProgress(): Promise<void> {
    try {
      const reply = await this.options.orchestrator.reportProgress({
        taskId: this.taskId,
        claim: this.claim,
        nextStep: this.nextStep,
      });
      if (reply.cancelRequested) this.stop('cancel');
    } catch (error) {
      if (isStaleClaim(error)) this.stop('stale');
      else this.options.logger.warn(`Task ${this.taskId}: progress report failed: ${errorMessage(error)}`);
    }
  }

  private stop(reason: 'cancel' | 'stale'): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    // Stop writing the log at once when another node owns it: not even the step's last words.
    if (reason === 'stale') this.abandoning = this.log?.abandon();
    this.abort.abort(reason);
  }

  private async syncQuietly(log: TaskLogSink): Promise<void> {
    try {
      await log.sync();
    } catch (error) {
      this.options.logger.warn(`Task ${this.taskId}: could not fsync the task log: ${errorMessage(error)}`);
    }
  }

  private async complete(result: { state: FinalTaskState; errorMessage: string }): Promise<TaskRunResult> {
    const request = { taskId: this.taskId, claim: this.claim, nextStep: this.nextStep, ...result };
    const delays = this.options.completionRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.options.orchestrator.completeTask(request);
        return result;
      } catch (error) {
        if (isStaleClaim(error)) {
          this.options.logger.warn(`Task ${this.taskId}: completion refused, claim ${this.claim} is stale`);
          return { state: 'Abandoned', errorMessage: errorMessage(error) };
        }
        if (!isTransient(error) || attempt >= delays.length) {
          this.options.logger.warn(
            `Task ${this.taskId}: could not report completion (${result.state}): ${errorMessage(error)}`,
          );
          return result;
        }
        await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
      }
    }
  }
}
