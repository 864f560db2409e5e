/**
 * Re-queues of one task by recovery before it is failed instead: a script that kills its node
 * would otherwise take the cluster down one node at a time, forever.
 */
export const MAX_RECOVERIES = 3;

/**
 * Why a task is orphaned: its node stopped heartbeating, or the node lives on but the executor
 * that owns the task stopped reporting progress (hung, paused or cut off).
 */
export type OrphanCause = 'node-dead' | 'progress-stopped';

/** An owned task whose owner no longer looks after it. */
export interface OrphanedTask {
  id: string;
  state: 'Executing' | 'Cancelling';
  claim: number;
  nodeName: string;
  nextStep: number;
  cause: OrphanCause;
  /** The node's last heartbeat (database time); null when its record was removed. */
  nodeLastSeen: Date | null;
  /** The owner's last accepted progress report (database time); null from nodes that predate it. */
  lastProgressAt: Date | null;
  /** Times recovery already re-queued the task. */
  recoveries: number;
  /** The release snapshot's `retryable`: its steps may be resumed on another node. */
  retryable: boolean;
  /** Steps in the release snapshot; null when the snapshot could not be read. */
  stepCount: number | null;
}

export interface FinishDecision {
  action: 'finish';
  state: 'Success' | 'Failed' | 'Canceled';
  errorMessage: string;
}

export type RecoveryDecision = { action: 'requeue'; note: string } | FinishDecision;

export function stoppedRespondingMessage(task: Pick<OrphanedTask, 'nodeName' | 'nodeLastSeen'>): string {
  return task.nodeLastSeen
    ? `node ${task.nodeName} stopped responding at ${task.nodeLastSeen.toISOString()}`
    : `node ${task.nodeName} stopped responding (its node record was removed)`;
}

export function orphanReason(
  task: Pick<OrphanedTask, 'cause' | 'nodeName' | 'nodeLastSeen' | 'lastProgressAt'>,
): string {
  // A dead node says more than a silent executor, so it wins when both hold.
  if (task.cause === 'node-dead' || !task.lastProgressAt) return stoppedRespondingMessage(task);
  return `the deployment executor on node ${task.nodeName} stopped reporting progress at ${task.lastProgressAt.toISOString()}`;
}

/**
 * Every step's completion was acknowledged (next_step is past the last one): all the work is done
 * and recorded, and only the task's own CompleteTask went missing. An unreadable snapshot (null)
 * or one without steps proves nothing, so such a task is recovered as before.
 */
export function allStepsRecorded(task: Pick<OrphanedTask, 'nextStep' | 'stepCount'>): boolean {
  return task.stepCount !== null && task.stepCount > 0 && task.nextStep >= task.stepCount;
}

/** How a task being canceled ends, whatever it had done: Canceled, with why its owner is gone. */
export function canceledDecision(
  task: Pick<OrphanedTask, 'cause' | 'nodeName' | 'nodeLastSeen' | 'lastProgressAt'>,
): FinishDecision {
  return { action: 'finish', state: 'Canceled', errorMessage: orphanReason(task) };
}

/**
 * Why the completion of a task whose every step was recorded never arrived, in the terms of
 * orphanReason (a dead node wins, as there).
 */
function completionLost(task: Pick<OrphanedTask, 'cause' | 'lastProgressAt'>): string {
  return task.cause === 'node-dead' || !task.lastProgressAt
    ? 'its completion was lost with the node'
    : 'its completion was never reported';
}

/**
 * A task being canceled is finished as Canceled. An executing task whose every step was recorded
 * as complete is finished as Success, one-shot or retryable: failing it would be a false failure,
 * and re-queuing it would only have another node run nothing; the note (error_message) makes it a
 * Success with warnings. A retryable deployment otherwise resumes elsewhere at its first
 * unfinished step, until it has been re-queued MAX_RECOVERIES times; anything else fails with the
 * reason.
 */
export function recoveryDecision(task: OrphanedTask): RecoveryDecision {
  const reason = orphanReason(task);
  if (task.state === 'Cancelling') return canceledDecision(task);
  if (allStepsRecorded(task))
    return {
      action: 'finish',
      state: 'Success',
      errorMessage:
        `${reason} after all ${task.stepCount} step(s) had completed; ` +
        `${completionLost(task)}, so the task is recorded as Success`,
    };
  if (!task.retryable) return { action: 'finish', state: 'Failed', errorMessage: reason };
  if (task.recoveries >= MAX_RECOVERIES)
    return {
      action: 'finish',
      state: 'Failed',
      errorMessage: `${reason}; not re-queued again after ${MAX_RECOVERIES} recoveries`,
    };
  return {
    action: 'requeue',
    note: `${reason}; re-queued to resume at step ${task.nextStep + 1} (recovery ${task.recoveries + 1} of ${MAX_RECOVERIES})`,
  };
}

/**
 * The system record recovery appends to the task's log: why, and what became of the task (Error
 * when it failed or was canceled; Warning when it will run again, or when it succeeded but its
 * completion was lost, which its note already says).
 */
export function recoveryRecord(decision: RecoveryDecision): ['Warning' | 'Error', string] {
  if (decision.action === 'requeue') return ['Warning', `Recovery: ${decision.note}`];
  if (decision.state === 'Success') return ['Warning', `Recovery: ${decision.errorMessage}.`];
  const became = decision.state === 'Canceled' ? 'the task was canceled' : 'the task failed';
  return ['Error', `Recovery: ${decision.errorMessage}; ${became}.`];
}
