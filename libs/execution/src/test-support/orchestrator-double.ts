import { status } from '@grpc/grpc-js';

import { orchestratorV1 } from '@flotilla/contracts';

import { GrpcDouble, grpcError, startGrpcDouble, unary } from './grpc-double';

/**
 * The orchestrator's executor-facing methods over real gRPC, with a tiny in-memory queue:
 * tasks are handed out once by ClaimTask, cancelled on request, completed by CompleteTask and
 * re-queued by ReleaseTask. Heartbeat answers with the node's default cap unless `node` says otherwise.
 */
export class OrchestratorDouble {
  readonly queue: orchestratorV1.TaskPlan[] = [];
  readonly tasks = new Map<string, orchestratorV1.ServerTask>();
  readonly cancelRequested = new Set<string>();
  readonly heartbeats: orchestratorV1.HeartbeatRequest[] = [];
  readonly completions: orchestratorV1.CompleteTaskRequest[] = [];
  readonly claims: orchestratorV1.ClaimTaskRequest[] = [];
  readonly releases: orchestratorV1.ReleaseTaskRequest[] = [];
  /** Every ReportProgress, with when it arrived (Date.now()). */
  readonly progress: (orchestratorV1.ReportProgressRequest & { at: number })[] = [];
  /** What Heartbeat answers about the node beyond the defaults (drain flag, licence, cap). */
  node: Partial<orchestratorV1.ClusterNode> = {};
  /** How long ReportProgress takes to answer (an orchestrator under load). */
  progressDelayMs = 0;
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
      ReportProgress: unary(async (request: orchestratorV1.ReportProgressRequest) => {
        this.progress.push({ ...request, at: Date.now() });
        if (this.progressDelayMs > 0)
          await new Promise((resolve) => setTimeout(resolve, this.progressDelayMs));
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
      ReleaseTask: unary((request: orchestratorV1.ReleaseTaskRequest) => {
        const task = this.owned(request);
        this.releases.push(request);
        Object.assign(task, { state: 'Queued', nextStep: request.nextStep, nodeName: '' });
        return task;
      }),
      Heartbeat: unary((request: orchestratorV1.HeartbeatRequest): orchestratorV1.ClusterNode => {
        this.heartbeats.push(request);
        return {
          name: request.nodeName,
          state: 'Running',
          lastSeen: new Date().toISOString(),
          taskCap: request.defaultTaskCap,
          runningTasks: 0,
          isDraining: false,
          services: [request.service],
          version: request.version,
          startedAt: '',
          overLicenceLimit: false,
          statusMessage: '',
          ...this.node,
        };
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
