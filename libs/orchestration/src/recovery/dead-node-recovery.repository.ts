import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { structuredQuery, Transactions } from '../shared/transactions';
import { deadNodeRecoverySql, DeadNodeRecoverySql } from './dead-node-recovery.sql';
import type { OrphanedTask } from './recovery-decision';

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
}

const dateOrNull = (value: Date | string | null) => (value === null ? null : new Date(value));

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
    }));
  }

  /** False when another replica got there first, or the task's owner turned out to be alive. */
  async requeue(manager: EntityManager, task: OrphanedTask, timeoutMs: number): Promise<boolean> {
    const result = await structuredQuery(manager, this.sql.requeue, [task.id, task.claim, -timeoutMs]);
    return result.affected === 1;
  }

  /** False when another replica got there first, or the task's owner turned out to be alive. */
  async finish(
    manager: EntityManager,
    task: OrphanedTask,
    errorMessage: string,
    timeoutMs: number,
  ): Promise<boolean> {
    const result = await structuredQuery(manager, this.sql.finish, [
      errorMessage,
      task.id,
      task.claim,
      -timeoutMs,
    ]);
    return result.affected === 1;
  }
}
