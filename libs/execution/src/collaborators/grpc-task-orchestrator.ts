import { ClientGrpc } from '@nestjs/microservices';
import { lastValueFrom, Observable, timeout } from 'rxjs';

import { orchestratorV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { identityToMetadata, systemIdentity } from '@flotilla/platform/grpc';

import { TaskOrchestrator } from './task-orchestrator';

/** A call that hangs must not hold a slot or a progress tick forever. */
const CALL_TIMEOUT_MS = 10_000;

/** TaskOrchestrator over gRPC, acting as the executor's system identity. */
export class GrpcTaskOrchestrator implements TaskOrchestrator {
  private readonly client: orchestratorV1.OrchestratorServiceClient;
  private readonly metadata = identityToMetadata(systemIdentity('deployment-executor'));

  constructor(grpc: ClientGrpc) {
    this.client = grpc.getService<orchestratorV1.OrchestratorServiceClient>(
      SERVICE_CONTRACTS.orchestrator.serviceName,
    );
  }

  claimTask(request: orchestratorV1.ClaimTaskRequest): Promise<orchestratorV1.ClaimTaskReply> {
    return this.call(this.client.claimTask(request, this.metadata));
  }

  reportProgress(request: orchestratorV1.ReportProgressRequest): Promise<orchestratorV1.ReportProgressReply> {
    return this.call(this.client.reportProgress(request, this.metadata));
  }

  completeTask(request: orchestratorV1.CompleteTaskRequest): Promise<orchestratorV1.ServerTask> {
    return this.call(this.client.completeTask(request, this.metadata));
  }

  releaseTask(request: orchestratorV1.ReleaseTaskRequest): Promise<orchestratorV1.ServerTask> {
    return this.call(this.client.releaseTask(request, this.metadata));
  }

  heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode> {
    return this.call(this.client.heartbeat(request, this.metadata));
  }

  getTask(taskId: string): Promise<orchestratorV1.ServerTask> {
    return this.call(this.client.getTask({ id: taskId }, this.metadata));
  }

  private call<T>(reply: Observable<T>): Promise<T> {
    // Unsubscribing on timeout cancels the underlying gRPC call.
    return lastValueFrom(reply.pipe(timeout(CALL_TIMEOUT_MS)));
  }
}
