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
}

export type RecoveryDecision =
  | { action: 'requeue'; note: string }
  | { action: 'finish'; state: 'Failed' | 'Canceled'; errorMessage: string };

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
 * A retryable deployment that was executing resumes elsewhere at its first unfinished step, until
 * it has been re-queued MAX_RECOVERIES times; one being canceled is finished as Canceled; anything
 * else fails with the reason.
 */
export function recoveryDecision(task: OrphanedTask): RecoveryDecision {
  const reason = orphanReason(task);
  if (task.state === 'Cancelling') return { action: 'finish', state: 'Canceled', errorMessage: reason };
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
 * when it ended, Warning when it will run again).
 */
export function recoveryRecord(decision: RecoveryDecision): ['Warning' | 'Error', string] {
  if (decision.action === 'requeue') return ['Warning', `Recovery: ${decision.note}`];
  const became = decision.state === 'Canceled' ? 'the task was canceled' : 'the task failed';
  return ['Error', `Recovery: ${decision.errorMessage}; ${became}.`];
}
