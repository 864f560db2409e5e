import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { structuredQuery, Transactions } from '../shared/transactions';
import { deadNodeRecoverySql, DeadNodeRecoverySql } from './dead-node-recovery.sql';
import type { FinishDecision, OrphanedTask } from './recovery-decision';

/** How a finished task ended, as the finish statement wrote it. */
export type FinishedState = FinishDecision['state'];

interface OrphanedRow {
  id: string;
  state: 'Executing' | 'Cancelling';
  claim: number;
  node_name: string | null;
  next_step: number;
  last_progress_at: Date | string | null;
  recovery_count: number;
  node_dead: number | string;
  node_last_seen: Date | string | null;
  retryable: boolean | number;
  steps: string | null;
}

const dateOrNull = (value: Date | string | null) => (value === null ? null : new Date(value));

/**
 * How many steps the release snapshot holds; null when its JSON cannot be read as an array, so
 * that recovery never takes a task for finished on the strength of a snapshot it cannot read.
 */
export function snapshotStepCount(steps: string | null): number | null {
  if (steps === null) return null;
  try {
    const parsed: unknown = JSON.parse(steps);
    return Array.isArray(parsed) ? parsed.length : null;
  } catch {
    return null;
  }
}

/**
 * Reads and rewrites orphaned tasks (dead node, or an executor that stopped reporting progress);
 * every write is conditional (see dead-node-recovery.sql.ts).
 */
@Injectable()
export class DeadNodeRecoveryRepository {
  private readonly sql: DeadNodeRecoverySql;

  constructor(@Inject(Transactions) private readonly transactions: Transactions) {
    this.sql = deadNodeRecoverySql(transactions.dialect);
  }

  /** One cheap round trip (the same SQL on both dialects): is the database answering? */
  async ping(): Promise<void> {
    await this.transactions.manager.query('SELECT 1');
  }

  async findOrphaned(timeoutMs: number, limit: number): Promise<OrphanedTask[]> {
    const rows = await this.transactions.manager.query<OrphanedRow[]>(this.sql.orphaned, [-timeoutMs, limit]);
    return rows.map((row) => ({
      id: row.id,
      state: row.state,
      claim: Number(row.claim),
      nodeName: row.node_name ?? '',
      nextStep: Number(row.next_step),
      cause: Number(row.node_dead) === 1 ? 'node-dead' : 'progress-stopped',
      nodeLastSeen: dateOrNull(row.node_last_seen),
      lastProgressAt: dateOrNull(row.last_progress_at),
      recoveries: Number(row.recovery_count),
      retryable: row.retryable === true || row.retryable === 1,
      stepCount: snapshotStepCount(row.steps),
    }));
  }

  /** False when another replica got there first, or the task's owner turned out to be alive. */
  async requeue(manager: EntityManager, task: OrphanedTask, timeoutMs: number): Promise<boolean> {
    const result = await structuredQuery(manager, this.sql.requeue, [task.id, task.claim, -timeoutMs]);
    return result.affected === 1;
  }

  /**
   * Finishes the task as `outcome` says, or as Canceled with `canceledMessage` when it is (by
   * now) being canceled. Returns the state written; undefined when another replica got there
   * first, or the task's owner turned out to be alive.
   */
  async finish(
    manager: EntityManager,
    task: OrphanedTask,
    outcome: Pick<FinishDecision, 'state' | 'errorMessage'>,
    canceledMessage: string,
    timeoutMs: number,
  ): Promise<FinishedState | undefined> {
    const result = await structuredQuery<{ state: FinishedState }>(manager, this.sql.finish, [
      outcome.state,
      outcome.errorMessage,
      canceledMessage,
      task.id,
      task.claim,
      -timeoutMs,
    ]);
    return result.affected === 1 ? result.records[0]?.state : undefined;
  }
}
