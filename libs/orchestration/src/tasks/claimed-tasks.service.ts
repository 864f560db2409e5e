import { Inject, Injectable, Logger } from '@nestjs/common';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { claimRefusal } from '../nodes/node-standing';
import { NodesRepository } from '../nodes/nodes.repository';
import { NodesService } from '../nodes/nodes.service';
import { MAX_NAME_LENGTH, requiredId } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { buildTaskPlan } from './task-plan.builder';
import { TaskPlanRepository } from './task-plan.repository';
import { TASK_SIGNALS, TaskSignals } from './task-signals';
import { FINAL_STATES, isFinalState } from './task-states';
import { toServerTask } from './task.mapper';
import { TasksRepository } from './tasks.repository';

/** Candidates looked at per scan; a scan repeats while claims keep losing races. */
const CANDIDATE_BATCH = 20;
const MAX_SCANS = 3;
const MAX_ERROR_LENGTH = 4000;
const MAX_REASON_LENGTH = 1000;
/** The log_problem column's length. */
const MAX_LOG_PROBLEM_LENGTH = 1000;

/**
 * What a completion says about the task's log. Executors that predate the fields send 0 and ''
 * (proto3 defaults): a complete log. A count that is not a whole number 0 or more is refused.
 */
function logIntegrity(request: orchestratorV1.CompleteTaskRequest): {
  logLinesLost: number;
  logProblem: string | null;
} {
  const logLinesLost = request.logLinesLost ?? 0;
  if (!Number.isInteger(logLinesLost) || logLinesLost < 0)
    throw RpcErrors.invalidArgument('logLinesLost must be a whole number, 0 or more');
  const logProblem = (request.logProblem ?? '').trim().slice(0, MAX_LOG_PROBLEM_LENGTH);
  return { logLinesLost, logProblem: logProblem || null };
}

/** Thrown inside a claim transaction to roll it back when the concurrency key is taken. */
class KeyHeld extends Error {}

/** A claim attempt: the task's plan, nothing (lost the race), or stop (the node may claim no more). */
type Attempt = orchestratorV1.TaskPlan | 'lost' | 'stop';

function staleClaim(taskId: string, claim: number) {
  return RpcErrors.failedPrecondition(`stale claim: task ${taskId} is no longer owned by claim ${claim}`);
}

/** The executor side of the queue: claim, progress and completion, all fenced by the claim number. */
@Injectable()
export class ClaimedTasksService {
  private readonly logger = new Logger('TaskQueue');

  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(TasksRepository) private readonly tasks: TasksRepository,
    @Inject(TaskPlanRepository) private readonly plans: TaskPlanRepository,
    @Inject(NodesService) private readonly nodeRegistry: NodesService,
    @Inject(NodesRepository) private readonly nodes: NodesRepository,
    @Inject(TASK_SIGNALS) private readonly signals: TaskSignals,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'heartbeatTimeoutMs'>,
  ) {}

  async claim(request: orchestratorV1.ClaimTaskRequest): Promise<orchestratorV1.ClaimTaskReply> {
    const nodeName = (request.nodeName ?? '').trim();
    if (!nodeName || nodeName.length > MAX_NAME_LENGTH)
      throw RpcErrors.invalidArgument('nodeName is required (at most 200 characters)');
    if (request.freeSlots <= 0) return { plan: undefined };
    // Unknown, offline, draining, over the licence limit or at its cap: it takes nothing new.
    if (claimRefusal(await this.nodeRegistry.standing(nodeName)) !== undefined) return { plan: undefined };
    for (let scan = 0; scan < MAX_SCANS; scan++) {
      const candidates = await this.tasks.claimCandidates(CANDIDATE_BATCH);
      for (const taskId of candidates) {
        const attempt = await this.tryClaim(taskId, nodeName);
        if (attempt === 'stop') return { plan: undefined };
        if (attempt !== 'lost') return { plan: attempt };
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
    const { logLinesLost, logProblem } = logIntegrity(request);
    const task = await this.transactions.run(async (manager) => {
      const completed = await this.tasks.complete(manager, {
        taskId,
        claim: request.claim,
        state,
        errorMessage,
        nextStep: request.nextStep,
        logLinesLost,
        logProblem,
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
        details: {
          state,
          nodeName: after.nodeName,
          claim: request.claim,
          deploymentId: after.deploymentId,
          logLinesLost,
          logProblem: logProblem ?? '',
        },
      });
      return after;
    });
    return toServerTask(task);
  }

  /**
   * Hands a claimed task back: Executing → Queued (node cleared, next_step kept, key released) so
   * any node resumes it; a task being canceled is finished as Canceled instead. Fenced like
   * completion: a stale claim is refused. The claim number stays, so the old owner's writes fail.
   */
  async release(
    actor: CallerIdentity,
    request: orchestratorV1.ReleaseTaskRequest,
  ): Promise<orchestratorV1.ServerTask> {
    const taskId = requiredId(request.taskId, 'taskId');
    if (request.nextStep < 0) throw RpcErrors.invalidArgument('nextStep must not be negative');
    const reason = (request.reason ?? '').trim().slice(0, MAX_REASON_LENGTH) || 'released by its node';
    const { task, requeued } = await this.transactions.run(async (manager) => {
      const before = await this.tasks.findById(taskId, manager);
      if (!before) throw RpcErrors.notFound(`task ${taskId} not found`);
      const requeued = await this.tasks.release(manager, taskId, request.claim, request.nextStep);
      if (
        !requeued &&
        !(await this.tasks.cancelOwned(
          manager,
          taskId,
          request.claim,
          `Canceled (${reason})`,
          request.nextStep,
        ))
      )
        throw staleClaim(taskId, request.claim);
      await this.tasks.unlock(manager, taskId, request.claim);
      const after = await this.tasks.findById(taskId, manager);
      if (!after) throw RpcErrors.notFound(`task ${taskId} not found`);
      await this.audit.record(manager, {
        actor,
        action: 'task.released',
        resourceType: 'ServerTask',
        resourceId: taskId,
        details: {
          reason,
          nodeName: before.nodeName,
          claim: request.claim,
          nextStep: request.nextStep,
          state: after.state,
        },
      });
      return { task: after, requeued };
    });
    if (requeued) this.signals.taskQueued(taskId);
    this.logger.log(`Task ${taskId} released by node ${task.nodeName ?? '-'} (${reason}): now ${task.state}`);
    return toServerTask(task);
  }

  /**
   * The node's row lock serialises its claims, so the cap counted by the conditional update sees
   * every earlier claim; one conditional update decides the winner; the concurrency-key row in the
   * same transaction keeps a second deployment of the same project and environment from executing.
   * Losing a race rolls back and leaves the task to someone else.
   */
  private async tryClaim(taskId: string, nodeName: string): Promise<Attempt> {
    try {
      return await this.transactions.run(async (manager): Promise<Attempt> => {
        const node = await this.nodes.lockForClaim(manager, nodeName, this.config.heartbeatTimeoutMs);
        if (
          !node ||
          node.isOffline ||
          node.isDraining ||
          node.isStopping ||
          node.runningTasks >= node.taskCap
        )
          return 'stop';
        const claim = await this.tasks.claim(manager, taskId, nodeName, node.taskCap);
        // Lost the race, or reached the cap meanwhile: the next attempt's fresh read tells which.
        if (claim === undefined) return 'lost';
        const task = await this.tasks.findById(taskId, manager);
        if (!task) return 'lost';
        if (!(await this.tasks.lock(manager, task.concurrencyKey, taskId, claim))) throw new KeyHeld();
        return buildTaskPlan(await this.plans.load(manager, task));
      });
    } catch (error) {
      if (error instanceof KeyHeld || isUniqueViolation(error)) return 'lost';
      throw error;
    }
  }
}
