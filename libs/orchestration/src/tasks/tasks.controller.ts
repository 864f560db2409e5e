import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { ClaimedTasksService } from './claimed-tasks.service';
import { TasksService } from './tasks.service';

type TaskMethods =
  | 'listTasks'
  | 'getTask'
  | 'cancelTask'
  | 'claimTask'
  | 'reportProgress'
  | 'completeTask'
  | 'releaseTask';

@Controller()
export class TasksController implements Pick<orchestratorV1.OrchestratorServiceController, TaskMethods> {
  constructor(
    @Inject(TasksService) private readonly tasks: TasksService,
    @Inject(ClaimedTasksService) private readonly claimed: ClaimedTasksService,
  ) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'listTasks')
  listTasks(request: orchestratorV1.ListTasksRequest, metadata: Metadata): Promise<orchestratorV1.TaskList> {
    return this.tasks.list(identityFromMetadata(metadata), request);
  }

  /** Also an executor's, on its own, checking whether its running task was cancelled. */
  @GrpcMethod(ORCHESTRATOR_SERVICE, 'getTask')
  getTask(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.ServerTask> {
    return this.tasks.get(identityFromMetadata(metadata), request.id);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'cancelTask')
  cancelTask(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.ServerTask> {
    return this.tasks.cancel(identityFromMetadata(metadata), request.id);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'claimTask')
  claimTask(request: orchestratorV1.ClaimTaskRequest): Promise<orchestratorV1.ClaimTaskReply> {
    return this.claimed.claim(request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'reportProgress')
  reportProgress(request: orchestratorV1.ReportProgressRequest): Promise<orchestratorV1.ReportProgressReply> {
    return this.claimed.reportProgress(request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'completeTask')
  completeTask(
    request: orchestratorV1.CompleteTaskRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.ServerTask> {
    return this.claimed.complete(identityFromMetadata(metadata), request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'releaseTask')
  releaseTask(
    request: orchestratorV1.ReleaseTaskRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.ServerTask> {
    return this.claimed.release(identityFromMetadata(metadata), request);
  }
}
