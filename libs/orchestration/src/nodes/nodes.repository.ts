import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { isUniqueViolation } from '@flotilla/platform/persistence';

import { parseJson } from '../shared/json-column';
import { structuredQuery, Transactions } from '../shared/transactions';
import { ClusterNodeEntity } from './cluster-node.entity';
import { nodeRegistrySql, NodeRegistrySql } from './node-registry.sql';

export interface NodeRecord {
  name: string;
  services: string[];
  version: string;
  startedAt: Date;
  lastSeen: Date;
  taskCap: number;
  isDraining: boolean;
  /** Its executor received SIGTERM and is finishing its tasks before it exits. */
  isStopping: boolean;
  isOffline: boolean;
  runningTasks: number;
}

interface NodeRow {
  name: string;
  services: string;
  version: string;
  started_at: Date;
  last_seen: Date;
  task_cap: number;
  is_draining: boolean | number;
  is_stopping: number | string;
  is_offline: number | string;
  running_tasks: number | string;
}

/** What a claim transaction reads from the locked node row. */
export interface ClaimingNode {
  taskCap: number;
  runningTasks: number;
  isDraining: boolean;
  isStopping: boolean;
  isOffline: boolean;
}

interface ClaimingNodeRow {
  task_cap: number;
  running_tasks: number | string;
  is_draining: boolean | number;
  is_stopping: number | string;
  is_offline: number | string;
}

@Injectable()
export class NodesRepository {
  private readonly sql: NodeRegistrySql;

  constructor(@Inject(Transactions) private readonly transactions: Transactions) {
    this.sql = nodeRegistrySql(transactions.dialect);
  }

  /**
   * Records that a service of the node is alive, by database time; registers the node if new.
   * `stopping` sets or clears the node's stopping mark; undefined leaves it as it is.
   */
  async heartbeat(
    name: string,
    service: string,
    version: string,
    defaultTaskCap: number,
    stopping?: boolean,
  ): Promise<void> {
    try {
      await this.transactions.run((manager) =>
        structuredQuery(manager, this.sql.insertIfAbsent, [name, version, defaultTaskCap]),
      );
    } catch (error) {
      // Another service of the same node created the row at the same moment.
      if (!isUniqueViolation(error)) throw error;
    }
    await this.transactions.run(async (manager: EntityManager) => {
      const locked = await structuredQuery<{ services: string }>(manager, this.sql.lockServices, [name]);
      const services = new Set(parseJson<string[]>(locked.records[0]?.services ?? '[]', 'node services'));
      if (service) services.add(service);
      await structuredQuery(manager, this.sql.heartbeat, [
        JSON.stringify([...services].sort()),
        version,
        name,
        stopping === undefined ? null : stopping ? 1 : 0,
      ]);
    });
  }

  async list(timeoutMs: number, manager: EntityManager = this.transactions.manager): Promise<NodeRecord[]> {
    const rows = await manager.query<NodeRow[]>(this.sql.list, [-timeoutMs]);
    return rows.map((row) => ({
      name: row.name,
      services: parseJson<string[]>(row.services, 'node services'),
      version: row.version,
      startedAt: new Date(row.started_at),
      lastSeen: new Date(row.last_seen),
      taskCap: Number(row.task_cap),
      isDraining: truthy(row.is_draining),
      isStopping: Number(row.is_stopping) === 1,
      isOffline: Number(row.is_offline) === 1,
      runningTasks: Number(row.running_tasks),
    }));
  }

  /**
   * Locks the node row until the claim transaction ends and reads what a claim needs;
   * undefined for an unknown node.
   */
  async lockForClaim(
    manager: EntityManager,
    name: string,
    timeoutMs: number,
  ): Promise<ClaimingNode | undefined> {
    const result = await structuredQuery<ClaimingNodeRow>(manager, this.sql.lockForClaim, [name, -timeoutMs]);
    const row = result.records[0];
    if (!row) return undefined;
    return {
      taskCap: Number(row.task_cap),
      runningTasks: Number(row.running_tasks),
      isDraining: truthy(row.is_draining),
      isStopping: Number(row.is_stopping) === 1,
      isOffline: Number(row.is_offline) === 1,
    };
  }

  findEntity(manager: EntityManager, name: string): Promise<ClusterNodeEntity | null> {
    return manager.findOneBy(ClusterNodeEntity, { name });
  }

  /** False when there is no such node. */
  async update(
    manager: EntityManager,
    name: string,
    changes: Partial<Pick<ClusterNodeEntity, 'taskCap' | 'isDraining'>>,
  ): Promise<boolean> {
    const result = await manager.update(ClusterNodeEntity, { name }, changes);
    return result.affected === 1;
  }

  /** False when the node is unknown or still heartbeating (database clock). */
  async removeOffline(manager: EntityManager, name: string, timeoutMs: number): Promise<boolean> {
    const result = await structuredQuery(manager, this.sql.removeOffline, [name, -timeoutMs]);
    return result.affected === 1;
  }
}

function truthy(value: boolean | number): boolean {
  return value === true || value === 1;
}
