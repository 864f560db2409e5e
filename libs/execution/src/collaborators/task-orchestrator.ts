import { orchestratorV1 } from '@flotilla/contracts';

/** The orchestrator calls an executor makes, as promises (the gRPC adapter hides Observables). */
export interface TaskOrchestrator {
  claimTask(request: orchestratorV1.ClaimTaskRequest): Promise<orchestratorV1.ClaimTaskReply>;
  reportProgress(request: orchestratorV1.ReportProgressRequest): Promise<orchestratorV1.ReportProgressReply>;
  completeTask(request: orchestratorV1.CompleteTaskRequest): Promise<orchestratorV1.ServerTask>;
  /** Hands a claimed task back to the queue (this node is stopping); it resumes at next_step. */
  releaseTask(request: orchestratorV1.ReleaseTaskRequest): Promise<orchestratorV1.ServerTask>;
  heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode>;
  getTask(taskId: string): Promise<orchestratorV1.ServerTask>;
}

export const TASK_ORCHESTRATOR = Symbol('TASK_ORCHESTRATOR');

/** Task states after which nothing more happens to a task. */
export const FINISHED_TASK_STATES: readonly string[] = ['Success', 'Failed', 'Canceled', 'TimedOut'];

export function isFinishedTaskState(state: string): boolean {
  return FINISHED_TASK_STATES.includes(state);
}
