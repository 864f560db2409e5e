import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import type { orchestratorV1 } from '@flotilla/contracts';

import { parseJson } from '../shared/json-column';
import { Transactions } from '../shared/transactions';
import { DeploymentProcessEntity } from './deployment-process.entity';

/** A project's process as the application sees it; version 0 means it was never defined. */
export interface StoredProcess {
  projectId: string;
  version: number;
  steps: orchestratorV1.DeploymentStep[];
  retryable: boolean;
}

@Injectable()
export class ProcessesRepository {
  constructor(@Inject(Transactions) private readonly transactions: Transactions) {}

  async find(projectId: string, manager: EntityManager = this.transactions.manager): Promise<StoredProcess> {
    const row = await manager.findOneBy(DeploymentProcessEntity, { projectId });
    if (!row) return { projectId, version: 0, steps: [], retryable: false };
    return {
      projectId,
      version: row.version,
      steps: parseJson<orchestratorV1.DeploymentStep[]>(row.steps, 'deployment process'),
      retryable: row.retryable,
    };
  }

  /**
   * Writes the next version only if the stored one is still the previous version (optimistic
   * concurrency); false when someone else saved in between.
   */
  async save(manager: EntityManager, process: StoredProcess): Promise<boolean> {
    const values = {
      version: process.version,
      steps: JSON.stringify(process.steps),
      retryable: process.retryable,
    };
    if (process.version === 1) {
      await manager.insert(DeploymentProcessEntity, { projectId: process.projectId, ...values });
      return true;
    }
    const result = await manager
      .createQueryBuilder()
      .update(DeploymentProcessEntity)
      .set({ ...values, updatedAt: () => this.transactions.sql.now })
      .where('project_id = :projectId AND version = :previous', {
        projectId: process.projectId,
        previous: process.version - 1,
      })
      .execute();
    return result.affected === 1;
  }
}
