/** A task owned by a node that stopped heartbeating. */
export interface OrphanedTask {
  id: string;
  state: 'Executing' | 'Cancelling';
  claim: number;
  nodeName: string;
  nextStep: number;
  /** The dead node's last heartbeat (database time); null when its record was removed. */
  nodeLastSeen: Date | null;
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

/**
 * A retryable deployment that was executing resumes elsewhere at its first unfinished step; one
 * being canceled is finished as Canceled; anything else fails with the reason.
 */
export function recoveryDecision(task: OrphanedTask): RecoveryDecision {
  const reason = stoppedRespondingMessage(task);
  if (task.state === 'Cancelling') return { action: 'finish', state: 'Canceled', errorMessage: reason };
  if (task.retryable)
    return { action: 'requeue', note: `${reason}; re-queued to resume at step ${task.nextStep + 1}` };
  return { action: 'finish', state: 'Failed', errorMessage: reason };
}
