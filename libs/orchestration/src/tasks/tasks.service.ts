import { Inject, Injectable } from '@nestjs/common';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { CallerScope } from '../shared/caller-scope';
import { requiredId } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { isTaskState, TASK_STATES } from './task-states';
import { TASK_SIGNALS, TaskSignals } from './task-signals';
import { toServerTask } from './task.mapper';
import { TasksRepository } from './tasks.repository';

export const DEFAULT_TASK_PAGE = 30;
export const MAX_TASK_PAGE = 500;
/** Cancel races a claim at most a couple of times (Queued → Executing in between). */
const CANCEL_ATTEMPTS = 3;

@Injectable()
export class TasksService {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(TasksRepository) private readonly tasks: TasksRepository,
    @Inject(TASK_SIGNALS) private readonly signals: TaskSignals,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  async list(
    caller: CallerIdentity,
    request: orchestratorV1.ListTasksRequest,
  ): Promise<orchestratorV1.TaskList> {
    const state = request.state?.trim() || undefined;
    if (state !== undefined && !isTaskState(state)) {
      throw RpcErrors.invalidArgument(`state must be one of ${TASK_STATES.join(', ')} (got "${state}")`);
    }
    const skip = request.skip ?? 0;
    const take = request.take || DEFAULT_TASK_PAGE;
    if (skip < 0) throw RpcErrors.invalidArgument('skip must not be negative');
    if (take < 0 || take > MAX_TASK_PAGE)
      throw RpcErrors.invalidArgument(`take must be from 1 to ${MAX_TASK_PAGE}`);
    const { items, total } = await this.tasks.list(
      {
        state,
        projectId: request.projectId || undefined,
        environmentId: request.environmentId || undefined,
        nodeName: request.nodeName || undefined,
      },
      new CallerScope(caller).filter(Permission.TaskView),
      skip,
      take,
    );
    return { items: items.map(toServerTask), total };
  }

  /** A task's scope is its deployment's project and environment (copied onto the task). */
  async get(caller: CallerIdentity, rawId: string): Promise<orchestratorV1.ServerTask> {
    const id = requiredId(rawId, 'id');
    const task = await this.tasks.findById(id);
    if (!task) throw missing(id);
    const scope = new CallerScope(caller);
    if (!scope.isOwnProcess) {
      const { projectId, environmentId } = task;
      scope.requireVisible(Permission.TaskView, { projectId, environmentId }, () => missing(id));
    }
    return toServerTask(task);
  }

  /**
   * Queued: canceled at once. Executing: marked Cancelling; its executor sees that on its next
   * progress report and stops the step. Already Cancelling: unchanged. Finished: refused.
   */
  async cancel(actor: CallerIdentity, rawId: string): Promise<orchestratorV1.ServerTask> {
    const id = requiredId(rawId, 'id');
    const outcome = await this.transactions.run(async (manager) => {
      for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
        const task = await this.tasks.findById(id, manager);
        if (!task) throw missing(id);
        new CallerScope(actor).requireAllowed(
          Permission.TaskCancel,
          Permission.TaskView,
          { projectId: task.projectId, environmentId: task.environmentId },
          `task ${id}`,
          () => missing(id),
        );
        if (task.state === 'Cancelling') return { task, signal: false };
        const changed =
          task.state === 'Queued'
            ? await this.tasks.cancelQueued(manager, id)
            : task.state === 'Executing'
              ? await this.tasks.requestCancel(manager, id)
              : undefined;
        if (changed === undefined)
          throw RpcErrors.failedPrecondition(`task ${id} has already finished (${task.state})`);
        if (!changed) continue;
        await this.audit.record(manager, {
          actor,
          action: 'task.cancel-requested',
          resourceType: 'ServerTask',
          resourceId: id,
          details: { previousState: task.state, deploymentId: task.deploymentId, nodeName: task.nodeName },
        });
        const after = await this.tasks.findById(id, manager);
        return { task: after ?? task, signal: task.state === 'Executing' };
      }
      throw RpcErrors.aborted(`task ${id} kept changing state; try again`);
    });
    if (outcome.signal) this.signals.cancelRequested(id);
    return toServerTask(outcome.task);
  }
}

function missing(id: string): Error {
  return RpcErrors.notFound(`task ${id} not found`);
}
