import { Inject, Injectable } from '@nestjs/common';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { NodesRepository } from '../nodes/nodes.repository';
import { MAX_NAME_LENGTH, requiredId } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { buildTaskPlan } from './task-plan.builder';
import { TaskPlanRepository } from './task-plan.repository';
import { FINAL_STATES, isFinalState } from './task-states';
import { toServerTask } from './task.mapper';
import { TasksRepository } from './tasks.repository';

/** Candidates looked at per scan; a scan repeats while claims keep losing races. */
const CANDIDATE_BATCH = 20;
const MAX_SCANS = 3;
const MAX_ERROR_LENGTH = 4000;

/** Thrown inside a claim transaction to roll it back when the concurrency key is taken. */
class KeyHeld extends Error {}

function staleClaim(taskId: string, claim: number) {
  return RpcErrors.failedPrecondition(`stale claim: task ${taskId} is no longer owned by claim ${claim}`);
}

/** The executor side of the queue: claim, progress and completion, all fenced by the claim number. */
@Injectable()
export class ClaimedTasksService {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(TasksRepository) private readonly tasks: TasksRepository,
    @Inject(TaskPlanRepository) private readonly plans: TaskPlanRepository,
    @Inject(NodesRepository) private readonly nodes: NodesRepository,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  async claim(request: orchestratorV1.ClaimTaskRequest): Promise<orchestratorV1.ClaimTaskReply> {
    const nodeName = (request.nodeName ?? '').trim();
    if (!nodeName || nodeName.length > MAX_NAME_LENGTH)
      throw RpcErrors.invalidArgument('nodeName is required (at most 200 characters)');
    if (request.freeSlots <= 0) return { plan: undefined };
    // A draining node finishes what it runs and takes nothing new.
    if (await this.nodes.isDraining(nodeName)) return { plan: undefined };
    for (let scan = 0; scan < MAX_SCANS; scan++) {
      const candidates = await this.tasks.claimCandidates(CANDIDATE_BATCH);
      for (const taskId of candidates) {
        const plan = await this.tryClaim(taskId, nodeName);
        if (plan) return { plan };
      }
      if (candidates.length < CANDIDATE_BATCH) break;
    }
    return { plan: undefined };
  }

  async reportProgress(
    request: orchestratorV1.ReportProgressRequest,
  ): Promise<orchestratorV1.ReportProgressReply> {
    const taskId = requiredId(request.taskId, 'taskId');
    if (request.nextStep < 0) throw RpcErrors.invalidArgument('nextStep must not be negative');
    const state = await this.transactions.run((manager) =>
      this.tasks.progress(manager, taskId, request.claim, request.nextStep),
    );
    if (!state) throw staleClaim(taskId, request.claim);
    return { cancelRequested: state === 'Cancelling' };
  }

  async complete(
    actor: CallerIdentity,
    request: orchestratorV1.CompleteTaskRequest,
  ): Promise<orchestratorV1.ServerTask> {
    const taskId = requiredId(request.taskId, 'taskId');
    const state = request.state;
    if (!isFinalState(state))
      throw RpcErrors.invalidArgument(`state must be one of ${FINAL_STATES.join(', ')} (got "${state}")`);
    if (request.nextStep < 0) throw RpcErrors.invalidArgument('nextStep must not be negative');
    const errorMessage = request.errorMessage ? request.errorMessage.slice(0, MAX_ERROR_LENGTH) : null;
    const task = await this.transactions.run(async (manager) => {
      const completed = await this.tasks.complete(manager, {
        taskId,
        claim: request.claim,
        state,
        errorMessage,
        nextStep: request.nextStep,
      });
      if (!completed) throw staleClaim(taskId, request.claim);
      await this.tasks.unlock(manager, taskId, request.claim);
      const after = await this.tasks.findById(taskId, manager);
      if (!after) throw RpcErrors.notFound(`task ${taskId} not found`);
      await this.audit.record(manager, {
        actor,
        action: 'task.completed',
        resourceType: 'ServerTask',
        resourceId: taskId,
        details: { state, nodeName: after.nodeName, claim: request.claim, deploymentId: after.deploymentId },
      });
      return after;
    });
    return toServerTask(task);
  }

  /**
   * One conditional update decides the winner; the concurrency-key row in the same transaction
   * keeps a second deployment of the same project and environment from executing. Losing either
   * race rolls back and leaves the task to someone else.
   */
  private async tryClaim(taskId: string, nodeName: string): Promise<orchestratorV1.TaskPlan | undefined> {
    try {
      return await this.transactions.run(async (manager) => {
        const claim = await this.tasks.claim(manager, taskId, nodeName);
        if (claim === undefined) return undefined;
        const task = await this.tasks.findById(taskId, manager);
        if (!task) return undefined;
        if (!(await this.tasks.lock(manager, task.concurrencyKey, taskId, claim))) throw new KeyHeld();
        return buildTaskPlan(await this.plans.load(manager, task));
      });
    } catch (error) {
      if (error instanceof KeyHeld || isUniqueViolation(error)) return undefined;
      throw error;
    }
  }
}
