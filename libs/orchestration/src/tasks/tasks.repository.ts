import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import type { ScopeFilter } from '../shared/caller-scope';
import { scopedWhere } from '../shared/scoped-where';
import { structuredQuery, Transactions } from '../shared/transactions';
import { ServerTaskEntity } from './server-task.entity';
import { taskQueueSql, TaskQueueSql } from './task-claim.sql';
import type { FinalState, TaskState } from './task-states';

export interface TaskFilter {
  state?: TaskState;
  projectId?: string;
  environmentId?: string;
  nodeName?: string;
}

export type NewTask = Pick<
  ServerTaskEntity,
  'id' | 'name' | 'description' | 'deploymentId' | 'projectId' | 'environmentId' | 'concurrencyKey'
>;

@Injectable()
export class TasksRepository {
  private readonly sql: TaskQueueSql;

  constructor(@Inject(Transactions) private readonly transactions: Transactions) {
    this.sql = taskQueueSql(transactions.dialect);
  }

  async insertQueued(manager: EntityManager, task: NewTask): Promise<ServerTaskEntity> {
    await manager.insert(ServerTaskEntity, {
      ...task,
      state: 'Queued',
      claim: 0,
      nextStep: 0,
      recoveryCount: 0,
      logLinesLost: 0,
    });
    return manager.findOneByOrFail(ServerTaskEntity, { id: task.id });
  }

  findById(id: string, manager: EntityManager = this.transactions.manager): Promise<ServerTaskEntity | null> {
    return manager.findOneBy(ServerTaskEntity, { id });
  }

  /** Newest first, among those `visible` lets through (the total counts only those). */
  async list(
    filter: TaskFilter,
    visible: ScopeFilter,
    skip: number,
    take: number,
  ): Promise<{ items: ServerTaskEntity[]; total: number }> {
    const requested = Object.fromEntries(
      Object.entries(filter).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const where = scopedWhere<ServerTaskEntity>(requested, visible, {
      project: 'projectId',
      environment: 'environmentId',
    });
    if (!where) return { items: [], total: 0 };
    const [items, total] = await this.transactions.manager.findAndCount(ServerTaskEntity, {
      where,
      order: { queuedAt: 'DESC', id: 'DESC' },
      skip,
      take,
    });
    return { items, total };
  }

  /** Ids of the oldest queued tasks whose concurrency key is free, oldest first. */
  async claimCandidates(limit: number): Promise<string[]> {
    const rows = await this.transactions.manager.query<{ id: string }[]>(this.sql.candidates, [limit]);
    return rows.map((row) => row.id);
  }

  /**
   * The new claim number when this node won the task; undefined when someone else did or the node
   * already owns `taskCap` tasks. Run it while holding the node's row lock (NodesRepository.lockForClaim).
   */
  async claim(
    manager: EntityManager,
    taskId: string,
    nodeName: string,
    taskCap: number,
  ): Promise<number | undefined> {
    const result = await structuredQuery<{ claim: number }>(manager, this.sql.claim, [
      nodeName,
      taskId,
      taskCap,
    ]);
    return result.records[0]?.claim;
  }

  /** False (or a unique violation, in a photo finish) when another task holds the key. */
  async lock(
    manager: EntityManager,
    concurrencyKey: string,
    taskId: string,
    claim: number,
  ): Promise<boolean> {
    const result = await structuredQuery(manager, this.sql.lock, [concurrencyKey, taskId, claim]);
    return result.affected === 1;
  }

  /** The task's state after recording progress, or undefined when the claim is stale. */
  async progress(
    manager: EntityManager,
    taskId: string,
    claim: number,
    nextStep: number,
  ): Promise<TaskState | undefined> {
    const result = await structuredQuery<{ state: TaskState }>(manager, this.sql.progress, [
      nextStep,
      taskId,
      claim,
    ]);
    return result.records[0]?.state;
  }

  /** False when the claim is stale. */
  async complete(
    manager: EntityManager,
    completion: {
      taskId: string;
      claim: number;
      state: FinalState;
      errorMessage: string | null;
      nextStep: number;
      logLinesLost: number;
      logProblem: string | null;
    },
  ): Promise<boolean> {
    const { taskId, claim, state, errorMessage, nextStep, logLinesLost, logProblem } = completion;
    const result = await structuredQuery(manager, this.sql.complete, [
      state,
      errorMessage,
      nextStep,
      taskId,
      claim,
      logLinesLost,
      logProblem,
    ]);
    return result.affected === 1;
  }

  /** Executing → Queued with the node cleared; false when the claim is stale or the task is not executing. */
  async release(manager: EntityManager, taskId: string, claim: number, nextStep: number): Promise<boolean> {
    const result = await structuredQuery(manager, this.sql.release, [nextStep, taskId, claim]);
    return result.affected === 1;
  }

  /** Cancelling → Canceled; false when the claim is stale or the task is not being canceled. */
  async cancelOwned(
    manager: EntityManager,
    taskId: string,
    claim: number,
    errorMessage: string,
    nextStep: number,
  ): Promise<boolean> {
    const result = await structuredQuery(manager, this.sql.cancelOwned, [
      errorMessage,
      nextStep,
      taskId,
      claim,
    ]);
    return result.affected === 1;
  }

  async unlock(manager: EntityManager, taskId: string, claim: number): Promise<void> {
    await structuredQuery(manager, this.sql.unlock, [taskId, claim]);
  }

  /** Queued → Canceled at once; false when the task was no longer queued. */
  async cancelQueued(manager: EntityManager, taskId: string): Promise<boolean> {
    const now = () => this.transactions.sql.now;
    const result = await manager
      .createQueryBuilder()
      .update(ServerTaskEntity)
      .set({
        state: 'Canceled',
        completedAt: now,
        cancelRequestedAt: now,
        errorMessage: 'Canceled before it started',
      })
      .where("id = :taskId AND state = 'Queued'", { taskId })
      .execute();
    return result.affected === 1;
  }

  /** Executing → Cancelling; false when the task was no longer executing. */
  async requestCancel(manager: EntityManager, taskId: string): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(ServerTaskEntity)
      .set({ state: 'Cancelling', cancelRequestedAt: () => this.transactions.sql.now })
      .where("id = :taskId AND state = 'Executing'", { taskId })
      .execute();
    return result.affected === 1;
  }
}
