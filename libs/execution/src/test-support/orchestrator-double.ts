import { status } from '@grpc/grpc-js';

import { orchestratorV1 } from '@flotilla/contracts';

import { GrpcDouble, grpcError, startGrpcDouble, unary } from './grpc-double';

/**
 * The orchestrator's executor-facing methods over real gRPC, with a tiny in-memory queue:
 * tasks are handed out once by ClaimTask, cancelled on request, and completed by CompleteTask.
 */
export class OrchestratorDouble {
  readonly queue: orchestratorV1.TaskPlan[] = [];
  readonly tasks = new Map<string, orchestratorV1.ServerTask>();
  readonly cancelRequested = new Set<string>();
  readonly heartbeats: orchestratorV1.HeartbeatRequest[] = [];
  readonly completions: orchestratorV1.CompleteTaskRequest[] = [];
  readonly claims: orchestratorV1.ClaimTaskRequest[] = [];
  private double: GrpcDouble | undefined;

  get url(): string {
    return this.double?.url ?? '';
  }

  async start(): Promise<this> {
    this.double = await startGrpcDouble('orchestrator', {
      ClaimTask: unary((request: orchestratorV1.ClaimTaskRequest) => {
        this.claims.push(request);
        const plan = this.queue.shift();
        if (plan?.task)
          this.tasks.set(plan.task.id, { ...plan.task, state: 'Executing', nodeName: request.nodeName });
        return { plan };
      }),
      ReportProgress: unary((request: orchestratorV1.ReportProgressRequest) => {
        const task = this.owned(request);
        task.nextStep = request.nextStep;
        return { cancelRequested: this.cancelRequested.has(request.taskId) };
      }),
      CompleteTask: unary((request: orchestratorV1.CompleteTaskRequest) => {
        const task = this.owned(request);
        this.completions.push(request);
        Object.assign(task, {
          state: request.state,
          errorMessage: request.errorMessage,
          nextStep: request.nextStep,
        });
        return task;
      }),
      Heartbeat: unary((request: orchestratorV1.HeartbeatRequest) => {
        this.heartbeats.push(request);
        return { name: request.nodeName, state: 'Online', services: [request.service] };
      }),
      GetTask: unary((request: orchestratorV1.IdRequest) => {
        const task = this.tasks.get(request.id);
        if (!task) throw grpcError(status.NOT_FOUND, `Task ${request.id} was not found`);
        return task;
      }),
    });
    return this;
  }

  stop(): Promise<void> {
    return this.double?.stop() ?? Promise.resolve();
  }

  /** Fencing as the real orchestrator does it: a write with an old claim is refused. */
  private owned(request: { taskId: string; claim: number }): orchestratorV1.ServerTask {
    const task = this.tasks.get(request.taskId);
    if (!task) throw grpcError(status.NOT_FOUND, `Task ${request.taskId} was not found`);
    if (task.claim !== request.claim)
      throw grpcError(status.FAILED_PRECONDITION, `claim ${request.claim} is stale`);
    return task;
  }
}
