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
  node_last_seen: Date | string | null;
  retryable: boolean | number;
}

/** Reads and rewrites tasks of dead nodes; every write is conditional (see dead-node-recovery.sql.ts). */
@Injectable()
export class DeadNodeRecoveryRepository {
  private readonly sql: DeadNodeRecoverySql;

  constructor(@Inject(Transactions) private readonly transactions: Transactions) {
    this.sql = deadNodeRecoverySql(transactions.dialect);
  }

  async findOrphaned(timeoutMs: number, limit: number): Promise<OrphanedTask[]> {
    const rows = await this.transactions.manager.query<OrphanedRow[]>(this.sql.orphaned, [-timeoutMs, limit]);
    return rows.map((row) => ({
      id: row.id,
      state: row.state,
      claim: Number(row.claim),
      nodeName: row.node_name ?? '',
      nextStep: Number(row.next_step),
      nodeLastSeen: row.node_last_seen === null ? null : new Date(row.node_last_seen),
      retryable: row.retryable === true || row.retryable === 1,
    }));
  }

  /** False when another replica got there first, or the node came back. */
  async requeue(manager: EntityManager, task: OrphanedTask, timeoutMs: number): Promise<boolean> {
    const result = await structuredQuery(manager, this.sql.requeue, [task.id, task.claim, -timeoutMs]);
    return result.affected === 1;
  }

  /** False when another replica got there first, or the node came back. */
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
