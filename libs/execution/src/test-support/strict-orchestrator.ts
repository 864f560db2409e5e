import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';

/**
 * A TaskOrchestrator double whose every call fails the test; subclasses override only the calls
 * the case under test is allowed to make.
 */
export class StrictOrchestrator implements TaskOrchestrator {
  claimTask(_request: orchestratorV1.ClaimTaskRequest): Promise<orchestratorV1.ClaimTaskReply> {
    return unexpected('claimTask');
  }
  reportProgress(
    _request: orchestratorV1.ReportProgressRequest,
  ): Promise<orchestratorV1.ReportProgressReply> {
    return unexpected('reportProgress');
  }
  completeTask(_request: orchestratorV1.CompleteTaskRequest): Promise<orchestratorV1.ServerTask> {
    return unexpected('completeTask');
  }
  releaseTask(_request: orchestratorV1.ReleaseTaskRequest): Promise<orchestratorV1.ServerTask> {
    return unexpected('releaseTask');
  }
  heartbeat(_request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode> {
    return unexpected('heartbeat');
  }
  getTask(_taskId: string): Promise<orchestratorV1.ServerTask> {
    return unexpected('getTask');
  }
}

function unexpected(name: string): never {
  throw new Error(`unexpected call: ${name}`);
}
