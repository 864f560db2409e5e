import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { backoffDelayMs, InterruptibleDelay, RetryBackoff, ThrottledFailureLog } from './retry-backoff';
import { classifyRpcFailure, errorMessage } from './task-completion';

export type FinalTaskState = 'Success' | 'Failed' | 'Canceled' | 'TimedOut';
export type FinalResult = { state: FinalTaskState; errorMessage: string };

export const ABANDONED = { state: 'Abandoned', errorMessage: 'Another node owns the task' } as const;

export interface CompletionLogger {
  log(message: string): void;
  warn(message: string): void;
  error?(message: string): void;
}

/** What the completion needs to know of its task run while it retries. */
export interface CompletionContext {
  orchestrator: TaskOrchestrator;
  logger: CompletionLogger;
  now: () => number;
  backoff: RetryBackoff;
  /** Interrupted when the run stops, so a retry wait never outlives the node's stop. */
  delay: InterruptibleDelay;
  /** A progress report found the claim stale meanwhile. */
  claimIsStale: () => boolean;
  /** The node is stopping and its grace for unacknowledged completions is over. */
  stoppingGraceOver: () => boolean;
  /** "step N of M", as last acknowledged, for the message when the node stops first. */
  acknowledgedProgress: () => string;
}

/**
 * Sends a task's completion, keeping the process's result, until the orchestrator acknowledges it
 * or refuses it for good: a stale claim (another node owns the task) ends Abandoned, an outright
 * refusal (a bug) is logged loudly. Every other failure — an outage, an orchestrator answering
 * UNKNOWN — is retried with backoff. Bounded only when the node is stopping: the orchestrator's
 * recovery then finishes the task once the node is gone, from the acknowledged next step.
 */
export async function reportCompletion(
  context: CompletionContext,
  request: orchestratorV1.CompleteTaskRequest,
  result: FinalResult,
): Promise<FinalResult | typeof ABANDONED> {
  const { taskId } = request;
  const failures = new ThrottledFailureLog(
    `Task ${taskId}: reporting completion (${result.state})`,
    context.logger,
    context.now,
  );
  for (let attempt = 0; ; attempt += 1) {
    if (context.claimIsStale()) return completionFoundStale(context, request, result);
    try {
      await context.orchestrator.completeTask(request);
      failures.succeeded();
      return result;
    } catch (error) {
      const failure = classifyRpcFailure(error);
      if (failure === 'stale') return completionFoundStale(context, request, result);
      if (failure === 'refused') {
        loud(
          context.logger,
          `Task ${taskId}: completion (${result.state}) REFUSED by the orchestrator and not retried: ` +
            `${errorMessage(error)}. The task stays Executing until recovery finishes it.`,
        );
        return result;
      }
      if (context.stoppingGraceOver()) {
        loud(
          context.logger,
          `Task ${taskId}: completion (${result.state}) not acknowledged before the node stopped ` +
            `(${errorMessage(error)}); the orchestrator's recovery finishes it once this node is gone ` +
            `(after ${context.acknowledgedProgress()}, as acknowledged).`,
        );
        return result;
      }
      failures.failed(errorMessage(error), 'retrying until the orchestrator acknowledges it');
      await context.delay.wait(backoffDelayMs(attempt, context.backoff));
    }
  }
}

/** For what a run must not keep quiet about: a refusal is a bug, not an outage. */
export function loud(logger: CompletionLogger, message: string): void {
  if (logger.error) logger.error(message);
  else logger.warn(message);
}

/**
 * Refused as stale: another node owns the task, or an earlier attempt of ours got through and
 * only its reply was lost (the task is finished, so every write about it is refused now).
 */
async function completionFoundStale(
  context: CompletionContext,
  request: orchestratorV1.CompleteTaskRequest,
  result: FinalResult,
): Promise<FinalResult | typeof ABANDONED> {
  try {
    const task = await context.orchestrator.getTask(request.taskId);
    if (
      task.claim === request.claim &&
      task.state === result.state &&
      sameMessage(task.errorMessage, result)
    ) {
      context.logger.log(`Task ${request.taskId}: completion (${result.state}) was already recorded`);
      return result;
    }
  } catch {
    // Unknown: report what we do know.
  }
  context.logger.warn(`Task ${request.taskId}: completion refused, claim ${request.claim} is stale`);
  return ABANDONED;
}

/** The orchestrator may have shortened a long message. */
function sameMessage(recorded: string, result: FinalResult): boolean {
  return (
    recorded === result.errorMessage || (recorded.length > 0 && result.errorMessage.startsWith(recorded))
  );
}
