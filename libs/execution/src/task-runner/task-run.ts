import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { secretMasker } from '../task-log/secret-masking';
import { TaskOutputLimiter, TaskOutputLimits } from '../task-log/task-output-limits';
import { DeploymentVariables } from '../variables/deployment-variables';
import { ABANDONED, FinalResult, FinalTaskState, loud, reportCompletion } from './completion-report';
import { GatedTaskLog } from './gated-task-log';
import {
  backoffDelayMs,
  DEFAULT_RETRY_BACKOFF,
  InterruptibleDelay,
  RetryBackoff,
  ThrottledFailureLog,
} from './retry-backoff';
import { StepExecutor, StepOutcome } from './step-executor';
import { classifyRpcFailure, errorMessage } from './task-completion';
import { TaskLogIntegrity, TaskLogSink } from './task-log-sink';

export interface TaskRunnerOptions {
  orchestrator: TaskOrchestrator;
  steps: readonly StepExecutor[];
  /** `mayWrite` false: hold already accepted lines back (the claim is unconfirmed after a pause). */
  openLog(taskId: string, redact: (message: string) => string, mayWrite: () => boolean): Promise<TaskLogSink>;
  /** Local (process) log for what must not go to the task: stale claims, orchestrator trouble. */
  logger: { log(message: string): void; warn(message: string): void; error?(message: string): void };
  /** How often progress is reported while a step runs; the orchestrator expects at least every second. */
  progressIntervalMs?: number;
  /** Waits between attempts of a report that must get through: a step boundary, the completion. */
  retryBackoff?: RetryBackoff;
  /**
   * Once the node is stopping (the drain hands the task back), how much longer a completion that
   * keeps failing is retried before it is left to the orchestrator's recovery.
   */
  stoppingCompletionGraceMs?: number;
  /**
   * The heartbeat timeout: a claim last confirmed longer ago than this may belong to another
   * node now, so log lines are held until a progress report confirms it. Unset: never held.
   */
  claimLeaseMs?: number;
  /** False when the cluster may consider this node dead (no heartbeat within the timeout). */
  nodeIsAlive?: () => boolean;
  now?: () => number;
  /** Caps on a task's script output (one line, the whole task); defaults: 16 KiB, 50 MiB. */
  outputLimits?: TaskOutputLimits;
}

export type { FinalTaskState };
export type TaskRunResult =
  | FinalResult
  | { state: 'Abandoned'; errorMessage: string }
  | { state: 'HandedBack'; errorMessage: string; claim: number; nextStep: number };

type StopReason = 'cancel' | 'stale' | 'handBack';
/** `refused`: the orchestrator refused the report itself (a bug, not an outage): not retried. */
type ProgressOutcome = 'confirmed' | 'stale' | 'refused' | 'unknown';

/** A held log line asks for a progress report, but not more often than this after one failed. */
const MIN_REPORT_SPACING_MS = 250;
const DEFAULT_STOPPING_COMPLETION_GRACE_MS = 5000;

/**
 * One claimed task: runs its steps, reports progress (fenced by the claim) and completes it.
 *
 * Nothing the orchestrator must know is dropped because it is unreachable: each step's completion
 * (the progress report carrying the next step) is acknowledged before the next step starts, and
 * the task's completion is retried with backoff until acknowledged, refused as stale (another
 * node owns the task) or refused outright (a bug, logged loudly). Progress reports go on until
 * then, so an executor that waits on the orchestrator never looks hung to it.
 */
export class TaskRun {
  readonly taskId: string;
  private readonly claim: number;
  private nextStep: number;
  /** The highest next step the orchestrator has acknowledged (the claim started there). */
  private acknowledgedStep: number;
  private readonly abort = new AbortController();
  private readonly delay = new InterruptibleDelay();
  private stopReason: StopReason | undefined;
  private handBackReason = '';
  /** Set when the drain hands the task back: nothing may wait on the orchestrator unboundedly. */
  private stoppingSince: number | undefined;
  private reporting: Promise<ProgressOutcome> | undefined;
  private log: GatedTaskLog | undefined;
  private abandoning: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly backoff: RetryBackoff;
  private confirmedAt: number;
  private lastProgressFailureAt = -Infinity;
  private readonly progressFailures: ThrottledFailureLog;

  constructor(
    private readonly options: TaskRunnerOptions,
    private readonly plan: orchestratorV1.TaskPlan,
  ) {
    this.taskId = plan.task?.id ?? '';
    this.claim = plan.task?.claim ?? 0;
    this.nextStep = Math.max(0, plan.startAtStep);
    this.acknowledgedStep = this.nextStep;
    this.now = options.now ?? (() => performance.now());
    this.backoff = options.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    // The claim itself was just granted.
    this.confirmedAt = this.now();
    this.progressFailures = new ThrottledFailureLog(
      `Task ${this.taskId}: progress report`,
      options.logger,
      this.now,
    );
  }

  async execute(): Promise<TaskRunResult> {
    // Until the completion is acknowledged: last_progress_at stays fresh while we wait on the
    // orchestrator, so it does not mistake a waiting executor for a hung one.
    const ticker = setInterval(() => void this.reportProgress(), this.options.progressIntervalMs ?? 1000);
    try {
      const ran = await this.runWithLog();
      return 'integrity' in ran ? await this.complete(ran.result, ran.integrity) : ran;
    } finally {
      clearInterval(ticker);
      await this.reporting;
    }
  }

  /** Reports progress now (e.g. a cancel signal arrived); the reply decides what happens. */
  reportProgress(): Promise<ProgressOutcome> {
    if (this.stopReason === 'stale') return Promise.resolve('stale');
    this.reporting ??= this.sendProgress().finally(() => {
      this.reporting = undefined;
    });
    return this.reporting;
  }

  /**
   * The node is stopping: kills the step so the task can be handed back (execute() then ends
   * HandedBack), and stops waiting on the orchestrator beyond a bounded grace.
   */
  stopForHandBack(reason: string): void {
    this.stoppingSince ??= this.now();
    this.delay.interrupt();
    if (this.stopReason) return;
    this.handBackReason = reason;
    this.stop('handBack');
  }

  private async runWithLog(): Promise<TaskRunResult | { result: FinalResult; integrity: TaskLogIntegrity }> {
    const variables = DeploymentVariables.forPlan(this.plan);
    let log: GatedTaskLog;
    try {
      // Masks each line of a multi-line secret too: output reaches the log one line at a time.
      const sink = await this.options.openLog(this.taskId, secretMasker(variables.sensitiveValues()), () =>
        this.claimStands(),
      );
      log = new GatedTaskLog(sink, {
        isOpen: () => this.claimStands(),
        onHeld: () => this.requestConfirmation(),
      });
    } catch (error) {
      // Nothing has run yet, so failing is safe and says why; running a deployment whose log
      // cannot even be opened would leave no record of what it did to the target (and a clean
      // Success for it would be a lie). Redeploying once storage is back is all it takes.
      const problem = `Could not open the task log: ${errorMessage(error)}`;
      return { result: { state: 'Failed', errorMessage: problem }, integrity: { linesLost: 0, problem } };
    }
    this.log = log;
    const output = new TaskOutputLimiter(this.options.outputLimits, variables.sensitiveValues());
    const result = await this.runSteps(log, variables, output);
    const dropped = output.droppedSummary();
    if (dropped && this.stopReason !== 'stale') log.warning(dropped);
    // Held lines (after a pause or outage) must not reach the log before the claim is confirmed.
    if (result.state !== 'Abandoned') await this.confirmClaim();
    if (this.stopReason === 'stale' || result.state === 'Abandoned') {
      // The new owner is the log's only writer now; we leave both the log and the task alone.
      await (this.abandoning ?? log.abandon());
      this.options.logger.warn(
        `Task ${this.taskId}: claim ${this.claim} is stale (another node owns the task); stopped.`,
      );
      return ABANDONED;
    }
    if (result.state === 'HandedBack') {
      log.warning(`${this.handBackReason}: task handed back to the queue at step ${this.nextStep + 1}`);
      await this.closeQuietly(log);
      return result;
    }
    const closeProblem = await this.closeQuietly(log);
    const integrity = log.integrity();
    if (closeProblem && !integrity.problem) integrity.problem = closeProblem;
    return { result, integrity };
  }

  private claimStands(): boolean {
    const { claimLeaseMs, nodeIsAlive } = this.options;
    if (claimLeaseMs !== undefined && this.now() - this.confirmedAt >= claimLeaseMs) return false;
    return nodeIsAlive?.() ?? true;
  }

  private async runSteps(
    log: TaskLogSink,
    variables: DeploymentVariables,
    output: TaskOutputLimiter,
  ): Promise<TaskRunResult> {
    const { steps } = this.plan;
    if (this.nextStep >= steps.length && this.nextStep > 0) {
      const done = steps.length === 1 ? 'The only step' : `All ${steps.length} steps`;
      log.info(`${done} completed before the task was recovered; nothing left to run`);
    } else if (this.nextStep > 0) log.info(`Resuming at step ${this.nextStep + 1} of ${steps.length}`);
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
      const outcome = await this.runStep(index, log, variables, output);
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
      await this.confirmNextStep();
    }
    // Every step had finished when the node began stopping: complete the task rather than hand
    // it back for another node to run nothing.
    const stopReason =
      this.stopReason === 'handBack' && this.nextStep >= steps.length ? undefined : this.stopReason;
    switch (stopReason) {
      case 'stale':
        return ABANDONED;
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
    output: TaskOutputLimiter,
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
        output,
      });
    } catch (error) {
      return { kind: 'failed', message: errorMessage(error) };
    }
  }

  private executorFor(actionType: string): StepExecutor | undefined {
    return this.options.steps.find((executor) => executor.actionType === actionType);
  }

  /**
   * The step just completed is recorded by the orchestrator before the next one starts, so a
   * node that dies from here on never makes another node run it again (a retryable task resumes
   * at the next step; after the last one, at "nothing left to run"). Retried until acknowledged,
   * unless the task stops meanwhile (stale claim, cancel, hand-back: those carry next_step too).
   */
  private async confirmNextStep(): Promise<void> {
    let failures = 0;
    while (this.acknowledgedStep < this.nextStep && !this.stopReason) {
      const outcome = await this.reportProgress();
      if (outcome === 'refused') return;
      // A report already in flight may have carried the previous step: then send again at once.
      if (outcome === 'unknown') await this.delay.wait(backoffDelayMs(failures++, this.backoff));
    }
  }

  /**
   * After a pause or an outage longer than the heartbeat timeout the claim is in doubt and log
   * lines are held; one confirmed report proves it stands, a stale one that it does not. A
   * stopping node cannot wait for that: it closes the log with what it has.
   */
  private async confirmClaim(): Promise<void> {
    let failures = 0;
    while (!this.claimStands() && this.stopReason !== 'stale' && this.stoppingSince === undefined) {
      const outcome = await this.reportProgress();
      if (outcome !== 'unknown') return;
      await this.delay.wait(backoffDelayMs(failures++, this.backoff));
    }
  }

  /** A line is being held: confirm the claim soon, without a report per line during an outage. */
  private requestConfirmation(): void {
    if (this.now() - this.lastProgressFailureAt < MIN_REPORT_SPACING_MS) return;
    void this.reportProgress();
  }

  private async sendProgress(): Promise<ProgressOutcome> {
    const sentAt = this.now();
    const nextStep = this.nextStep;
    try {
      const reply = await this.options.orchestrator.reportProgress({
        taskId: this.taskId,
        claim: this.claim,
        nextStep,
      });
      this.confirmedAt = Math.max(this.confirmedAt, sentAt);
      this.acknowledgedStep = Math.max(this.acknowledgedStep, nextStep);
      this.progressFailures.succeeded();
      this.log?.release();
      if (reply.cancelRequested) this.stop('cancel');
      return 'confirmed';
    } catch (error) {
      const failure = classifyRpcFailure(error);
      if (failure === 'stale') {
        this.stop('stale');
        return 'stale';
      }
      if (failure === 'refused') {
        loud(
          this.options.logger,
          `Task ${this.taskId}: progress report refused by the orchestrator: ${errorMessage(error)}`,
        );
        return 'refused';
      }
      this.lastProgressFailureAt = this.now();
      this.progressFailures.failed(errorMessage(error), 'retrying; the task goes on');
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
    this.delay.interrupt();
  }

  private async syncQuietly(log: TaskLogSink): Promise<void> {
    try {
      await log.sync();
    } catch (error) {
      this.options.logger.warn(`Task ${this.taskId}: could not fsync the task log: ${errorMessage(error)}`);
    }
  }

  /** Resolves with what went wrong (for the completion), or '' when the log closed cleanly. */
  private async closeQuietly(log: TaskLogSink): Promise<string> {
    try {
      await log.close();
      return '';
    } catch (error) {
      this.options.logger.warn(`Task ${this.taskId}: could not finish the task log: ${errorMessage(error)}`);
      return `could not finish the task log: ${errorMessage(error)}`;
    }
  }

  private complete(result: FinalResult, integrity: TaskLogIntegrity): Promise<TaskRunResult> {
    const request: orchestratorV1.CompleteTaskRequest = {
      taskId: this.taskId,
      claim: this.claim,
      nextStep: this.nextStep,
      ...result,
      logLinesLost: integrity.linesLost,
      logProblem: integrity.problem,
    };
    return reportCompletion(
      {
        orchestrator: this.options.orchestrator,
        logger: this.options.logger,
        now: this.now,
        backoff: this.backoff,
        delay: this.delay,
        claimIsStale: () => this.stopReason === 'stale',
        stoppingGraceOver: () => this.stoppingGraceOver(),
        acknowledgedProgress: () => `step ${this.acknowledgedStep} of ${this.plan.steps.length}`,
      },
      request,
      result,
    );
  }

  private stoppingGraceOver(): boolean {
    if (this.stoppingSince === undefined) return false;
    const grace = this.options.stoppingCompletionGraceMs ?? DEFAULT_STOPPING_COMPLETION_GRACE_MS;
    return this.now() - this.stoppingSince >= grace;
  }
}
