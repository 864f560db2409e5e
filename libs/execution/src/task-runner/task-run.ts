import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { DeploymentVariables, redactor } from '../variables/deployment-variables';
import { GatedTaskLog } from './gated-task-log';
import { StepExecutor, StepOutcome } from './step-executor';
import { errorMessage, isStaleClaim, isTransient } from './task-completion';
import { TaskLogSink } from './task-log-sink';

export interface TaskRunnerOptions {
  orchestrator: TaskOrchestrator;
  steps: readonly StepExecutor[];
  /** `mayWrite` false: hold already accepted lines back (the claim is unconfirmed after a pause). */
  openLog(taskId: string, redact: (message: string) => string, mayWrite: () => boolean): Promise<TaskLogSink>;
  /** Local (process) log for what must not go to the task: stale claims, orchestrator trouble. */
  logger: { log(message: string): void; warn(message: string): void };
  /** How often progress is reported while a step runs; the orchestrator expects at least every second. */
  progressIntervalMs?: number;
  /** Waits between CompleteTask attempts while the orchestrator is unreachable. */
  completionRetryDelaysMs?: readonly number[];
  /**
   * The heartbeat timeout: a claim last confirmed longer ago than this may belong to another
   * node now, so log lines are held until a progress report confirms it. Unset: never held.
   */
  claimLeaseMs?: number;
  /** False when the cluster may consider this node dead (no heartbeat within the timeout). */
  nodeIsAlive?: () => boolean;
  now?: () => number;
}

export type FinalTaskState = 'Success' | 'Failed' | 'Canceled' | 'TimedOut';
export type TaskRunResult =
  | { state: FinalTaskState; errorMessage: string }
  | { state: 'Abandoned'; errorMessage: string }
  | { state: 'HandedBack'; errorMessage: string; claim: number; nextStep: number };

type StopReason = 'cancel' | 'stale' | 'handBack';
type ProgressOutcome = 'confirmed' | 'stale' | 'unknown';

const DEFAULT_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];

/** One claimed task: runs its steps, reports progress (fenced by the claim) and completes it. */
export class TaskRun {
  readonly taskId: string;
  private readonly claim: number;
  private nextStep: number;
  private readonly abort = new AbortController();
  private stopReason: StopReason | undefined;
  private handBackReason = '';
  private reporting: Promise<ProgressOutcome> | undefined;
  private log: GatedTaskLog | undefined;
  private abandoning: Promise<void> | undefined;
  private readonly now: () => number;
  private confirmedAt: number;

  constructor(
    private readonly options: TaskRunnerOptions,
    private readonly plan: orchestratorV1.TaskPlan,
  ) {
    this.taskId = plan.task?.id ?? '';
    this.claim = plan.task?.claim ?? 0;
    this.nextStep = Math.max(0, plan.startAtStep);
    this.now = options.now ?? (() => performance.now());
    // The claim itself was just granted.
    this.confirmedAt = this.now();
  }

  async execute(): Promise<TaskRunResult> {
    const variables = DeploymentVariables.forPlan(this.plan);
    let log: GatedTaskLog;
    try {
      const sink = await this.options.openLog(this.taskId, redactor(variables.sensitiveValues()), () =>
        this.claimStands(),
      );
      log = new GatedTaskLog(sink, {
        isOpen: () => this.claimStands(),
        onHeld: () => void this.reportProgress(),
      });
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
      // Held lines (after a pause) must not reach the log before the claim is confirmed.
      if (result.state !== 'Abandoned' && !this.claimStands()) await this.reportProgress();
    } finally {
      clearInterval(ticker);
      await this.reporting;
    }
    if (this.stopReason === 'stale' || result.state === 'Abandoned') {
      // The new owner is the log's only writer now; we leave both the log and the task alone.
      await (this.abandoning ?? log.abandon());
      this.options.logger.warn(
        `Task ${this.taskId}: claim ${this.claim} is stale (another node owns the task); stopped.`,
      );
      return { state: 'Abandoned', errorMessage: 'Another node owns the task' };
    }
    if (result.state === 'HandedBack') {
      log.warning(`${this.handBackReason}: task handed back to the queue at step ${this.nextStep + 1}`);
      await this.closeQuietly(log);
      return result;
    }
    await this.closeQuietly(log);
    return this.complete(result);
  }

  /** Reports progress now (e.g. a cancel signal arrived); the reply decides what happens. */
  reportProgress(): Promise<ProgressOutcome> {
    if (this.stopReason === 'stale') return Promise.resolve('stale');
    this.reporting ??= this.sendProgress().finally(() => {
      this.reporting = undefined;
    });
    return this.reporting;
  }

  /** Stops the task (kills its step) so it can be handed back; execute() then ends HandedBack. */
  stopForHandBack(reason: string): void {
    if (this.stopReason) return;
    this.handBackReason = reason;
    this.stop('handBack');
  }

  private claimStands(): boolean {
    const { claimLeaseMs, nodeIsAlive } = this.options;
    if (claimLeaseMs !== undefined && this.now() - this.confirmedAt >= claimLeaseMs) return false;
    return nodeIsAlive?.() ?? true;
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
      // A step that finished just as the node began stopping need not run again elsewhere.
      if (this.stopReason === 'handBack' && outcome.kind === 'success') this.nextStep = index + 1;
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
    switch (this.stopReason) {
      case 'stale':
        return { state: 'Abandoned', errorMessage: 'Another node owns the task' };
      case 'handBack':
        return {
          state: 'HandedBack',
          errorMessage: this.handBackReason,
          claim: this.claim,
          nextStep: this.nextStep,
        };
      case 'cancel':
        log.warning('The task was canceled');
        return { state: 'Canceled', errorMessage: 'The task was canceled' };
      case undefined:
        log.info('Deployment completed successfully');
        return { state: 'Success', errorMessage: '' };
    }
  }

  private async runStep(
    index: number,
    log: TaskLogSink,
    variables: DeploymentVariables,
  ): Promise<StepOutcome> {
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

  private async sendProgress(): Promise<ProgressOutcome> {
    const sentAt = this.now();
    try {
      const reply = await this.options.orchestrator.reportProgress({
        taskId: this.taskId,
        claim: this.claim,
        nextStep: this.nextStep,
      });
      this.confirmedAt = Math.max(this.confirmedAt, sentAt);
      this.log?.release();
      if (reply.cancelRequested) this.stop('cancel');
      return 'confirmed';
    } catch (error) {
      if (isStaleClaim(error)) {
        this.stop('stale');
        return 'stale';
      }
      this.options.logger.warn(`Task ${this.taskId}: progress report failed: ${errorMessage(error)}`);
      return 'unknown';
    }
  }

  private stop(reason: StopReason): void {
    // A stale claim overrides a cancel or hand-back in progress: the task is not ours any more.
    if (this.stopReason === 'stale' || (this.stopReason && reason !== 'stale')) return;
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

  private async closeQuietly(log: TaskLogSink): Promise<void> {
    try {
      await log.close();
    } catch (error) {
      this.options.logger.warn(`Task ${this.taskId}: could not finish the task log: ${errorMessage(error)}`);
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
