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
  is_offline: number | string;
  running_tasks: number | string;
}

@Injectable()
export class NodesRepository {
  private readonly sql: NodeRegistrySql;

  constructor(@Inject(Transactions) private readonly transactions: Transactions) {
    this.sql = nodeRegistrySql(transactions.dialect);
  }

  async isDraining(name: string): Promise<boolean> {
    const node = await this.transactions.manager.findOneBy(ClusterNodeEntity, { name });
    return node?.isDraining ?? false;
  }

  /** Records that a service of the node is alive, by database time. */
  async heartbeat(name: string, service: string, version: string, timeoutMs: number): Promise<void> {
    try {
      await this.transactions.run((manager) =>
        structuredQuery(manager, this.sql.insertIfAbsent, [name, version]),
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
        -timeoutMs,
        name,
      ]);
    });
  }

  async list(timeoutMs: number): Promise<NodeRecord[]> {
    const rows = await this.transactions.manager.query<NodeRow[]>(this.sql.list, [-timeoutMs]);
    return rows.map((row) => ({
      name: row.name,
      services: parseJson<string[]>(row.services, 'node services'),
      version: row.version,
      startedAt: new Date(row.started_at),
      lastSeen: new Date(row.last_seen),
      taskCap: Number(row.task_cap),
      isDraining: row.is_draining === true || row.is_draining === 1,
      isOffline: Number(row.is_offline) === 1,
      runningTasks: Number(row.running_tasks),
    }));
  }
}
